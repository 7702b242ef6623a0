import type { BroadcastRing } from '../../eventsourcing/bus.ts'
import { type Batch, Follower } from '../../eventsourcing/follower.ts'
import type { EventStore } from '../../eventsourcing/store/event-store.ts'
import type { Logger } from '../../ops/log.ts'
import type { SharedMessage } from './compression.ts'
import type { FeedConnection } from './feed-connection.ts'
import { FeedFragment, type FeedView, type Snapshot } from './feed-fragment.ts'
import type { HubCounters } from './hub-counters.ts'
import { type ChangedSinceOptions, hasChangedSince } from './resume.ts'

export type { FeedView, ViewSource } from './feed-fragment.ts'

export interface FeedHubOptions {
  readonly onEmpty: (hub: FeedHub) => void
  readonly log: Logger
  readonly scan?: ChangedSinceOptions
  /** How long a render waits for lagging projections before it renders what they have. @default 5000 */
  readonly waitTimeoutMs?: number
}

/** A connection as its hub tracks it: its fragments, what each shows, and the last id it was sent. */
interface Member {
  readonly fragments: readonly FeedFragment[]
  /** Per fragment, the position of the render the client has (-1: none yet). */
  readonly shown: number[]
  /** The newest `id:` written; ids only grow. */
  lastId: number
}

/** What one change sends: each affected fragment's render, in the order they are written. */
type Delivery = ReadonlyMap<FeedFragment, Patch>

interface Patch {
  readonly order: number
  readonly snapshot: Snapshot
  /** The patch with the change's id, the same bytes for every connection it is the last patch of. */
  readonly message: SharedMessage
}

/**
 * Every connection of one feed (one feed `key`) shares a hub: one bus subscription, and per
 * fragment one render per change whose bytes go to every connection showing that fragment. The
 * Follower subscribes before any connection reads state or history, so nothing falls between
 * replay and live; a lag is answered with one fat morph of current state per fragment.
 *
 * The `id:` a connection is sent is a position every one of its fragments reflects: the hub
 * handles changes in order for all its fragments, so once a change is delivered all of them
 * reflect it, and only the last patch a connection gets for a change carries its id. A resume
 * from that id re-sends just the fragments that changed since.
 */
export class FeedHub {
  readonly key: string
  readonly #bus: BroadcastRing
  readonly #store: EventStore
  readonly #options: FeedHubOptions
  readonly #follower: Follower
  readonly #fragments = new Map<string, FeedFragment>()
  readonly #live = new Map<FeedConnection, Member>()
  readonly #joining = new Set<FeedConnection>()
  /** Every change up to here is delivered to every live connection. */
  #settled: number
  #emptied = false

  constructor(bus: BroadcastRing, store: EventStore, key: string, options: FeedHubOptions) {
    this.key = key
    this.#bus = bus
    this.#store = store
    this.#options = options
    this.#settled = bus.position
    this.#follower = new Follower(`feed "${key}"`, { handle: (batch) => this.#broadcast(batch) }, { log: options.log })
    // Subscribes at once; follows until the bus closes (shutdown) or the hub empties, then ends
    // what is left so browsers reconnect.
    void this.#follower
      .start({ bus })
      .then(() => this.#follower.finished)
      .finally(() => {
        for (const connection of [...this.#live.keys(), ...this.#joining]) connection.end('shutdown')
      })
  }

  get connections(): number {
    return this.#live.size + this.#joining.size
  }

  counters(): HubCounters {
    let renders = 0
    for (const fragment of this.#fragments.values()) renders += fragment.renders
    const { lagged, failures } = this.#follower.counters()
    return { lagged, renders, failures }
  }

  /** Brings a new connection up to date from `since` (null: it shows nothing yet), then makes it live. */
  async join(connection: FeedConnection, views: readonly FeedView[], since: number | null): Promise<void> {
    // An ended connection has left already; adding it now would keep the hub open for nobody.
    if (connection.isEnded) return
    const fragments = views.map((view) => this.#fragmentFor(view))
    for (const fragment of fragments) fragment.joining++
    this.#joining.add(connection)
    try {
      const head = this.#bus.position
      await Promise.all(fragments.map((fragment) => fragment.waitForSources(head, this.#waitTimeoutMs)))
      const reflected = fragments.map((fragment) => fragment.viewPosition())
      const stale = await Promise.all(fragments.map((fragment, i) => this.#isStale(fragment, since, reflected[i])))
      if (connection.isEnded || !this.#joining.has(connection)) return
      // From here to the end of the block nothing awaits: the connection goes live in one step.
      const member: Member = { fragments, shown: reflected.map((at, i) => (stale[i] ? -1 : at)), lastId: since ?? -1 }
      this.#live.set(connection, member)
      for (const fragment of fragments) fragment.live.add(connection)
      // Stale fragments get a render now; the others any change broadcast while this one caught up.
      const patches = fragments.map((fragment, i) => (stale[i] ? fragment.snapshot() : fragment.last))
      // Each fragment reflects its view position, and every change the hub has delivered.
      const id = Math.max(this.#settled, Math.min(...reflected))
      this.#sendAll(connection, member, patches, id)
    } finally {
      this.#joining.delete(connection)
      for (const fragment of fragments) fragment.joining--
      this.#dropEmptyFragments(fragments)
    }
  }

  leave(connection: FeedConnection): void {
    const member = this.#live.get(connection)
    this.#live.delete(connection)
    this.#joining.delete(connection)
    if (member) {
      for (const fragment of member.fragments) fragment.live.delete(connection)
      this.#dropEmptyFragments(member.fragments)
    }
    if (this.connections === 0 && !this.#emptied) {
      this.#emptied = true
      void this.#follower.stop() // unsubscribes at once
      this.#options.onEmpty(this)
    }
  }

  get #waitTimeoutMs(): number {
    return this.#options.waitTimeoutMs ?? 5_000
  }

  #fragmentFor(view: FeedView): FeedFragment {
    let fragment = this.#fragments.get(view.key)
    if (!fragment) {
      fragment = new FeedFragment(view, { log: this.#options.log, position: () => this.#bus.position })
      this.#fragments.set(view.key, fragment)
    }
    return fragment
  }

  #dropEmptyFragments(fragments: readonly FeedFragment[]): void {
    for (const fragment of fragments) {
      if (fragment.isEmpty && this.#fragments.get(fragment.key) === fragment) this.#fragments.delete(fragment.key)
    }
  }

  async #isStale(fragment: FeedFragment, since: number | null, until: number | undefined): Promise<boolean> {
    if (since === null || until === undefined) return true
    const range = { since, until, isRelevant: fragment.isRelevant }
    return hasChangedSince(this.#store, range, this.#options.scan)
  }

  /**
   * A joining connection's patches, newer than what it shows, the last one carrying `id`: a
   * position all its fragments reflect once every patch before it has arrived.
   */
  #sendAll(connection: FeedConnection, member: Member, patches: readonly (Snapshot | null)[], id: number): void {
    const due = patches.flatMap((snapshot, i) =>
      snapshot && snapshot.position > (member.shown[i] ?? -1) ? [{ i, snapshot }] : [],
    )
    due.forEach(({ i, snapshot }, n) => {
      member.shown[i] = snapshot.position
      const isLast = n === due.length - 1
      connection.write(snapshot.bytes(isLast ? id : null))
      if (isLast) member.lastId = id
    })
  }

  /** Renders each affected fragment once and sends its bytes to every live connection showing it. */
  async #broadcast(batch: Batch): Promise<void> {
    const end = batch.kind === 'lagged' ? batch.position : (batch.events.at(-1)?.position ?? this.#settled)
    const targets = this.#targetsOf(batch)
    if (targets.size > 0) {
      await Promise.all([...targets].map(([fragment, target]) => fragment.waitForSources(target, this.#waitTimeoutMs)))
      if (this.#emptied || this.#bus.isClosed) return
      const delivery = new Map<FeedFragment, Patch>()
      for (const fragment of targets.keys()) {
        const snapshot = this.#fragments.get(fragment.key) === fragment ? fragment.snapshot() : null
        if (snapshot)
          delivery.set(fragment, { order: delivery.size, snapshot, message: fragment.share(snapshot.bytes(end)) })
      }
      for (const [fragment, patch] of delivery) {
        for (const connection of fragment.live) this.#deliver(connection, fragment, patch, delivery, end)
      }
    }
    this.#settled = Math.max(this.#settled, end)
  }

  /** Per fragment, the newest event of the batch that can change it (after a lag, every fragment). */
  #targetsOf(batch: Batch): Map<FeedFragment, number> {
    const targets = new Map<FeedFragment, number>()
    for (const fragment of this.#fragments.values()) {
      // After a lag the missed events may have changed any fragment: one fat morph of current state resyncs.
      let target = batch.kind === 'lagged' ? batch.position : 0
      if (batch.kind === 'live')
        for (const event of batch.events) if (fragment.isRelevant(event)) target = event.position
      if (target > 0) targets.set(fragment, target)
    }
    return targets
  }

  #deliver(connection: FeedConnection, fragment: FeedFragment, patch: Patch, delivery: Delivery, id: number) {
    const member = this.#live.get(connection)
    const i = member?.fragments.indexOf(fragment) ?? -1
    if (!member || i === -1 || patch.snapshot.position <= (member.shown[i] ?? -1)) return
    member.shown[i] = patch.snapshot.position
    // Only the connection's last patch of this change may carry its id.
    const isLast = member.fragments.every(
      (other) => other === fragment || (delivery.get(other)?.order ?? -1) < patch.order,
    )
    if (isLast && id > member.lastId) {
      connection.writeShared(patch.message)
      member.lastId = id
    } else {
      connection.write(patch.snapshot.bytes(null))
    }
  }
}

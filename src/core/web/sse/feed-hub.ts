import type { BroadcastRing } from '../../eventsourcing/bus.ts'
import type { StoredEvent } from '../../eventsourcing/events.ts'
import { type Batch, Follower } from '../../eventsourcing/follower.ts'
import type { EventStore } from '../../eventsourcing/store/event-store.ts'
import type { WaitOptions } from '../../eventsourcing/watermark.ts'
import type { Logger } from '../../ops/log.ts'
import { encodePatch } from './encode.ts'
import type { FeedConnection } from './feed-connection.ts'
import { type ChangedSinceOptions, hasChangedSince } from './resume.ts'

/** The read model a view renders from: the feed waits for it before rendering. */
export interface ViewSource {
  readonly position: number
  /** The events it folds, when it declares them (a projection's `canHandle`). */
  readonly canHandle?: (event: StoredEvent) => boolean
  waitFor(position: number, options?: WaitOptions): Promise<void>
}

/** What a feed shows. One `key` means one view: same relevance, same bytes for every client. */
export interface FeedView {
  readonly key: string
  readonly isRelevant: (event: StoredEvent) => boolean
  /** The whole region as HTML with ids, for a fat morph; pure, synchronous. */
  readonly render: () => string
  readonly sources: readonly ViewSource[]
}

export interface FeedHubOptions {
  readonly onEmpty: (hub: FeedHub) => void
  readonly log: Logger
  readonly scan?: ChangedSinceOptions
  /** How long a render waits for lagging projections before it renders what they have. @default 5000 */
  readonly waitTimeoutMs?: number
}

interface Snapshot {
  readonly position: number
  readonly bytes: Uint8Array
}

/**
 * Every connection showing one view (one `key`) shares a hub: one bus subscription, one render
 * per change, and the same encoded bytes written to each connection. The hub's Follower
 * subscribes before any of its connections reads state or history, so nothing falls between
 * replay and live; a lag is answered with one fat morph of current state.
 */
export class FeedHub {
  readonly key: string
  readonly #view: FeedView
  readonly #bus: BroadcastRing
  readonly #store: EventStore
  readonly #options: FeedHubOptions
  readonly #follower: Follower
  readonly #live = new Set<FeedConnection>()
  readonly #joining = new Set<FeedConnection>()
  #last: Snapshot | null = null
  #renders = 0
  #emptied = false

  constructor(bus: BroadcastRing, store: EventStore, view: FeedView, options: FeedHubOptions) {
    this.key = view.key
    this.#view = view
    this.#bus = bus
    this.#store = store
    this.#options = options
    this.#follower = new Follower(
      `feed "${this.key}"`,
      { handle: (batch) => this.#broadcast(batch) },
      { log: options.log },
    )
    // Subscribes at once; follows until the bus closes (shutdown) or the hub empties, then ends
    // what is left so browsers reconnect.
    void this.#follower
      .start({ bus })
      .then(() => this.#follower.finished)
      .finally(() => {
        for (const connection of [...this.#live, ...this.#joining]) connection.end('shutdown')
      })
  }

  get connections(): number {
    return this.#live.size + this.#joining.size
  }

  counters(): { readonly lagged: number; readonly renders: number } {
    return { lagged: this.#follower.counters().lagged, renders: this.#renders }
  }

  /** Brings a new connection up to date from `since` (null: it has no view yet), then makes it live. */
  async join(connection: FeedConnection, since: number | null): Promise<void> {
    // An ended connection has left already; adding it now would keep the hub open for nobody.
    if (connection.isEnded) return
    this.#joining.add(connection)
    await this.#waitForSources(this.#bus.position)
    const position = this.#viewPosition()
    const isStale =
      since === null ||
      (await hasChangedSince(this.#store, { since, until: position, isRelevant: this.#isRelevant }, this.#options.scan))
    if (connection.isEnded || !this.#joining.has(connection)) return
    // From here to the end of the block nothing awaits: the connection goes live in one step.
    this.#joining.delete(connection)
    this.#live.add(connection)
    if (isStale) {
      const snapshot = this.#snapshot()
      if (snapshot) connection.sendPatch(snapshot.bytes, snapshot.position)
    } else {
      connection.position = Math.max(connection.position, position)
      // A change the hub broadcast while this connection was still catching up.
      if (this.#last) connection.sendPatch(this.#last.bytes, this.#last.position)
    }
  }

  leave(connection: FeedConnection): void {
    this.#live.delete(connection)
    this.#joining.delete(connection)
    if (this.connections === 0 && !this.#emptied) {
      this.#emptied = true
      void this.#follower.stop() // unsubscribes at once
      this.#options.onEmpty(this)
    }
  }

  /** Renders once for what changed and sends the same bytes to every live connection. */
  async #broadcast(batch: Batch): Promise<void> {
    // After a lag the missed events may have changed the view: one fat morph of current state resyncs.
    let target = batch.kind === 'lagged' ? batch.position : 0
    if (batch.kind === 'live') for (const event of batch.events) if (this.#isRelevant(event)) target = event.position
    if (target === 0) return
    await this.#waitForSources(target)
    if (this.#emptied || this.#bus.isClosed) return
    const snapshot = this.#snapshot()
    if (snapshot) for (const connection of this.#live) connection.sendPatch(snapshot.bytes, snapshot.position)
  }

  #isRelevant = (event: StoredEvent): boolean => {
    try {
      return this.#view.isRelevant(event)
    } catch (error) {
      // Unsure means relevant: an extra fat morph is harmless, a missed one is not.
      this.#options.log.error(`Feed "${this.key}" could not classify an event`, { position: event.position, error })
      return true
    }
  }

  async #waitForSources(position: number): Promise<void> {
    const timeoutMs = this.#options.waitTimeoutMs ?? 5_000
    try {
      await Promise.all(this.#view.sources.map((source) => source.waitFor(position, { timeoutMs })))
    } catch (error) {
      this.#options.log.warn(`Feed "${this.key}" renders without waiting for its projections`, { error })
    }
  }

  /** The position the view reflects: every source has applied at least this far. */
  #viewPosition(): number {
    if (this.#view.sources.length === 0) return this.#bus.position
    return Math.min(...this.#view.sources.map((source) => source.position))
  }

  /** Renders and encodes once per position; later callers at that position reuse the bytes. */
  #snapshot(): Snapshot | null {
    const position = this.#viewPosition()
    if (this.#last && this.#last.position === position) return this.#last
    let bytes: Uint8Array
    try {
      bytes = encodePatch(this.#view.render(), position)
    } catch (error) {
      this.#options.log.error(`Feed "${this.key}" failed to render`, { position, error })
      return null
    }
    this.#renders++
    const snapshot = { position, bytes }
    if (!this.#last || position > this.#last.position) this.#last = snapshot
    return snapshot
  }
}

import type { BroadcastRing } from '../../eventsourcing/bus.ts'
import type { EventStore } from '../../eventsourcing/store/event-store.ts'
import { createLogger, type Logger } from '../../ops/log.ts'
import { ClockHub, type ClockView } from './clock-hub.ts'
import type { FeedEncoding } from './compression.ts'
import { FeedConnection, type FeedEndReason } from './feed-connection.ts'
import { FeedHub } from './feed-hub.ts'
import { type HubCounters, HubTotals } from './hub-counters.ts'
import type { ChangedSinceOptions } from './resume.ts'

export interface FeedLimits {
  /** Interval of the keep-alive comment. @default 15000 */
  keepAliveMs?: number
  /** Bytes queued for one client before it is cut off (it reconnects and resyncs). @default 1048576 */
  maxBufferedBytes?: number
  /** Open feed connections at most, sockets of ended ones still held included; more get 503. @default 20000 */
  maxConnections?: number
  /** Open feed connections per session (browser tabs, every feed counted, held ones too); more get 429. @default 16 */
  maxPerSession?: number
  /**
   * How long the socket of a cut-off client is counted at most without word that it closed. Bun closes
   * it at its next idle sweep (within ~5 s) and says so; when it resets one at once, it says nothing.
   * @default 10000
   */
  maxHeldMs?: number
  /**
   * Compressed connections at most; past this many, feeds are sent uncompressed. A compressed
   * connection holds no compressor (shared patches are compressed once for all), but what is
   * written to it alone (its opening, per-session fragments) is compressed per connection. @default 20000
   */
  maxCompressed?: number
  scan?: ChangedSinceOptions
}

/** What the feeds of one server share: its bus and store, its logger, and the limits from its config. */
export interface FeedRegistryOptions {
  readonly bus: BroadcastRing
  readonly store: EventStore
  readonly limits?: FeedLimits
  /** @default JSON lines to stderr */
  readonly log?: Logger
}

/** A hub as the registry sees it: driven by events (FeedHub) or by a clock (ClockHub). */
interface Hub {
  readonly key: string
  readonly connections: number
  leave(connection: FeedConnection): void
  counters(): HubCounters
}

/** Why a feed cannot open now. */
export type FeedRefusal = 'closed' | 'full' | 'session-full'

export interface FeedCounters {
  readonly connections: number
  /** Sockets of ended connections the server still holds (counted against the limits until they close). */
  readonly held: number
  /** Of which compressed. */
  readonly compressed: number
  readonly hubs: number
  readonly opened: number
  readonly lagged: number
  readonly renders: number
  /** Batches a feed hub failed to broadcast, summed over every hub since the start. */
  readonly failures: number
  /** Clients cut off for not reading. */
  readonly overflows: number
}

type ResolvedLimits = Required<Omit<FeedLimits, 'scan'>> & Pick<FeedLimits, 'scan'>

/** Where an open connection is counted: its hub and its session. */
interface Registration {
  readonly hub: Hub
  readonly owner: string | null
}

/**
 * The feeds of one server (`app.feeds`): hubs by feed key, the connection bounds (in all and
 * per session), and one keep-alive timer for every connection (a timer per connection would
 * cost memory at ten thousand clients). The server makes it from its config and closes it.
 */
export class FeedRegistry {
  readonly #bus: BroadcastRing
  readonly #store: EventStore
  readonly #log: Logger
  readonly #limits: ResolvedLimits
  readonly #hubs = new Map<string, Hub>()
  readonly #registrations = new Map<FeedConnection, Registration>()
  /** Ended connections whose socket is still open, by owner and when they ended. */
  readonly #held = new Map<FeedConnection, { readonly owner: string | null; readonly since: number }>()
  /** Open connections per session; an entry lives only while its session has one. */
  readonly #perOwner = new Map<string, number>()
  /** Made once for every connection, not once each: a closure per connection costs memory at ten thousand. */
  readonly #onEnd = (ended: FeedConnection, reason: FeedEndReason) => this.#release(ended, reason)
  readonly #onSocketClosed = (closed: FeedConnection) => this.#releaseHeld(closed)
  #timer: ReturnType<typeof setInterval> | null = null
  #opened = 0
  #overflows = 0
  readonly #forgotten = new HubTotals()
  #closed = false
  #compressed = 0

  constructor({ bus, store, limits = {}, log = createLogger() }: FeedRegistryOptions) {
    const {
      keepAliveMs = 15_000,
      maxBufferedBytes = 1_048_576,
      maxConnections = 20_000,
      maxPerSession = 16,
      maxCompressed = 20_000,
      maxHeldMs = 10_000,
      ...rest
    } = limits
    this.#bus = bus
    this.#store = store
    this.#log = log
    this.#limits = { keepAliveMs, maxBufferedBytes, maxConnections, maxPerSession, maxCompressed, maxHeldMs, ...rest }
  }

  /** The server's logger, for failures of the feeds it serves. */
  get log(): Logger {
    return this.#log
  }

  get limits(): Readonly<ResolvedLimits> {
    return this.#limits
  }

  get isClosed(): boolean {
    return this.#closed || this.#bus.isClosed
  }

  /** Shutdown: refuses new feeds and ends the open ones with a reset, so browsers reconnect elsewhere or later. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const connection of [...this.#registrations.keys()]) connection.end('shutdown')
  }

  /** Why a connection for `owner` (a session, or null without one) cannot open now; null if it can. */
  refusal(owner: string | null): FeedRefusal | null {
    if (this.isClosed) return 'closed'
    this.#expireHeld()
    if (this.#registrations.size + this.#held.size >= this.#limits.maxConnections) return 'full'
    if (owner !== null && (this.#perOwner.get(owner) ?? 0) >= this.#limits.maxPerSession) return 'session-full'
    return null
  }

  /** The encoding a connection would get: the client's choice while compressed slots are free. */
  encodingFor(accepted: FeedEncoding | null): FeedEncoding | null {
    return accepted && this.#compressed < this.#limits.maxCompressed ? accepted : null
  }

  counters(): FeedCounters {
    return {
      connections: this.#registrations.size,
      held: this.#held.size,
      compressed: this.#compressed,
      hubs: this.#hubs.size,
      opened: this.#opened,
      ...this.#forgotten.with(this.#hubs.values()),
      overflows: this.#overflows,
    }
  }

  /**
   * Opens a connection on the feed's hub (created, and subscribed to the bus, if new); it joins the
   * fragments after. `closeSocket` asks the server to close the request's socket once the server ends it.
   */
  open(
    key: string,
    accepted: FeedEncoding | null,
    owner: string | null,
    closeSocket?: () => void,
  ): { connection: FeedConnection; hub: FeedHub } {
    const hub = this.#hubFor(key, FeedHub, () => {
      return new FeedHub(this.#bus, this.#store, key, {
        onEmpty: (empty) => this.#forget(empty),
        scan: this.#limits.scan,
        log: this.#log,
      })
    })
    return { connection: this.#connect(accepted, { hub, owner }, closeSocket), hub }
  }

  /** Opens a connection on a view the clock drives (the monitor): one render per tick for all its clients. */
  openClock(
    view: ClockView,
    accepted: FeedEncoding | null,
    owner: string | null,
    closeSocket?: () => void,
  ): { connection: FeedConnection; hub: ClockHub } {
    const hub = this.#hubFor(view.key, ClockHub, () => {
      return new ClockHub(view, {
        position: () => this.#bus.position,
        onEmpty: (empty) => this.#forget(empty),
        log: this.#log,
      })
    })
    return { connection: this.#connect(accepted, { hub, owner }, closeSocket), hub }
  }

  #hubFor<H extends Hub>(key: string, kind: abstract new (...args: never[]) => H, create: () => H): H {
    const found = this.#hubs.get(key)
    if (found instanceof kind) return found
    if (found) throw new Error(`Cannot open feed "${key}": a feed of another kind has that key`)
    const hub = create()
    this.#hubs.set(key, hub)
    return hub
  }

  #connect(accepted: FeedEncoding | null, registration: Registration, closeSocket?: () => void): FeedConnection {
    const encoding = this.encodingFor(accepted)
    if (encoding) this.#compressed++
    const connection = new FeedConnection({
      encoding,
      maxBufferedBytes: this.#limits.maxBufferedBytes,
      onEnd: this.#onEnd,
      closeSocket,
      onSocketClosed: this.#onSocketClosed,
    })
    this.#registrations.set(connection, registration)
    const { owner } = registration
    if (owner !== null) this.#perOwner.set(owner, (this.#perOwner.get(owner) ?? 0) + 1)
    this.#opened++
    this.#timer ??= setInterval(() => this.#keepAlive(), this.#limits.keepAliveMs)
    return connection
  }

  #keepAlive(): void {
    this.#expireHeld()
    const claimedBy = performance.now() - this.#limits.keepAliveMs
    for (const connection of this.#registrations.keys()) {
      // Unsent for a whole interval: the response was dropped, and nothing else would ever release it.
      if (!connection.isClaimed && connection.openedAt <= claimedBy) connection.end('client-gone')
      else connection.keepAlive()
    }
  }

  /** The one way out of the registry; idempotent, since a connection ends only once. */
  #release(connection: FeedConnection, reason: FeedEndReason): void {
    const registration = this.#registrations.get(connection)
    if (!registration) return
    this.#registrations.delete(connection)
    if (connection.encoding) this.#compressed--
    if (reason === 'overflow') this.#overflows++
    const { owner, hub } = registration
    hub.leave(connection)
    // Its socket still counts against the limits until it closes.
    if (connection.holdsSocket) this.#held.set(connection, { owner, since: performance.now() })
    else this.#leaveOwner(owner)
    this.#stopTimerIfIdle()
  }

  /** Stops counting held sockets past `maxHeldMs`, oldest first (the map is in the order they ended). */
  #expireHeld(): void {
    const heldSince = performance.now() - this.#limits.maxHeldMs
    for (const [connection, { since }] of this.#held) {
      if (since > heldSince) return
      this.#releaseHeld(connection)
    }
  }

  #releaseHeld(connection: FeedConnection): void {
    const held = this.#held.get(connection)
    if (!held) return
    this.#held.delete(connection)
    this.#leaveOwner(held.owner)
    this.#stopTimerIfIdle()
  }

  #leaveOwner(owner: string | null): void {
    if (owner === null) return
    const left = (this.#perOwner.get(owner) ?? 1) - 1
    if (left > 0) this.#perOwner.set(owner, left)
    else this.#perOwner.delete(owner)
  }

  #stopTimerIfIdle(): void {
    if (this.#registrations.size === 0 && this.#held.size === 0 && this.#timer) {
      clearInterval(this.#timer)
      this.#timer = null
    }
  }

  #forget(hub: Hub): void {
    this.#forgotten.keep(hub.counters())
    if (this.#hubs.get(hub.key) === hub) this.#hubs.delete(hub.key)
  }
}

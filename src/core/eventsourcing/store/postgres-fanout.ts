import { SQL } from 'bun'
import { createLogger, type Logger } from '../../ops/log.ts'
import type { BroadcastRing } from '../bus.ts'
import type { StoredEvent } from '../events.ts'
import type { EventStore } from './event-store.ts'
import { DEFAULT_EVENTS_CHANNEL } from './postgres-event-store.ts'

export interface PostgresFanoutOptions {
  /** The database every node shares; the fanout opens one connection of its own for LISTEN. */
  readonly url: string
  /** This node's store: its commits are published at once, everyone's are read from it. */
  readonly store: EventStore
  /** This node's ring: the fanout is its only publisher. */
  readonly ring: BroadcastRing
  /** @default 'ironstar_events' (the store's) */
  readonly channel?: string
  /** The safety net: a catch-up read this often even without a notification. @default 1000 */
  readonly pollIntervalMs?: number
  /** Events read per query while catching up. @default 1000 */
  readonly pageSize?: number
  /** Where a failing catch-up read is reported. @default JSON lines to stderr */
  readonly log?: Logger
}

export interface FanoutCounters {
  /** The newest position published into the ring. */
  readonly position: number
  readonly notifications: number
  readonly catchUps: number
  /** LISTEN connections (re)established. */
  readonly connects: number
  readonly errors: number
}

/**
 * Cross-node wake-up on PostgreSQL. Every node's commit NOTIFYs the new head; this node then
 * reads what it has not published from the events table, by position, and publishes it into
 * its ring in order: the table is the truth, a notification only a wake-up. A notification
 * missed (a dropped LISTEN connection, which Bun re-establishes) is made good by the catch-up
 * read that follows each (re)connect, and by a periodic read as a safety net.
 *
 * This node's own commits are published at once when they follow what the ring already has;
 * when they do not (another node committed in between), they are read from the table like
 * the rest, so the ring never jumps a position.
 */
export class PostgresFanout {
  readonly #store: EventStore
  readonly #ring: BroadcastRing
  readonly #channel: string
  readonly #pollIntervalMs: number
  readonly #pageSize: number
  readonly #listener: SQL
  readonly #log: Logger
  #position = 0
  #catchingUp: Promise<void> | null = null
  #again = false
  #started = false
  #closed = false
  #poll: ReturnType<typeof setInterval> | undefined
  #unlisten: (() => Promise<void>) | undefined
  #offCommit: (() => void) | undefined
  #failing = false
  #counters = { notifications: 0, catchUps: 0, connects: 0, errors: 0 }

  constructor(options: PostgresFanoutOptions) {
    this.#store = options.store
    this.#ring = options.ring
    this.#channel = options.channel ?? DEFAULT_EVENTS_CHANNEL
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000
    this.#pageSize = options.pageSize ?? 1_000
    this.#log = options.log ?? createLogger()
    this.#listener = new SQL(options.url, {
      max: 1,
      onconnect: (error) => {
        if (error) return
        this.#counters.connects++
        // A (re)connect may have missed notifications: read what the table has.
        void this.catchUp()
      },
    })
  }

  /**
   * Starts from the store's head (history is the readers' own replay), listens, and polls.
   * Start it before the projections subscribe and replay, so nothing falls between the two.
   */
  async start(): Promise<void> {
    this.#position = Math.max(this.#ring.position, await this.#store.headPosition())
    this.#started = true
    this.#offCommit = this.#store.onCommit((events) => this.#offer(events))
    const subscription = await this.#listener.listen(this.#channel, (payload) => {
      this.#counters.notifications++
      if (Number(payload) > this.#position) void this.catchUp()
    })
    this.#unlisten = () => subscription.unlisten()
    this.#poll = setInterval(() => void this.catchUp(), this.#pollIntervalMs)
    this.#poll.unref()
  }

  /** Reads and publishes everything after the newest published position; one read at a time. */
  catchUp(): Promise<void> {
    if (!this.#started || this.#closed) return Promise.resolve()
    if (this.#catchingUp) {
      this.#again = true
      return this.#catchingUp
    }
    this.#catchingUp = this.#readAhead().finally(() => {
      this.#catchingUp = null
    })
    return this.#catchingUp
  }

  counters(): FanoutCounters {
    return { position: this.#position, ...this.#counters }
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#poll)
    this.#offCommit?.()
    await this.#catchingUp
    await this.#unlisten?.().catch(() => {})
    await this.#listener.close()
  }

  async #readAhead(): Promise<void> {
    try {
      do {
        this.#again = false
        this.#counters.catchUps++
        for (;;) {
          const page = await this.#store.readAll({ after: this.#position, limit: this.#pageSize })
          this.#publish(page)
          if (page.length < this.#pageSize) break
        }
      } while (this.#again && !this.#closed)
      this.#failing = false
    } catch (error) {
      this.#counters.errors++
      // Logged once per outage: the poll keeps retrying every interval.
      if (!this.#failing) this.#log.error('Cannot read new events for the broadcast ring; retrying', { error })
      this.#failing = true
    }
  }

  #offer(events: readonly StoredEvent[]): void {
    if (events[0]?.position === this.#position + 1) this.#publish(events)
    else void this.catchUp()
  }

  #publish(events: readonly StoredEvent[]): void {
    const fresh = events.filter((event) => event.position > this.#position)
    if (fresh.length === 0) return
    this.#ring.publish(fresh)
    this.#position = fresh.at(-1)?.position ?? this.#position
  }
}

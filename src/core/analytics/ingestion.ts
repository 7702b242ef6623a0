import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api'
import type { BroadcastRing, BusSubscription } from '../bus.ts'
import type { StoredEvent } from '../events.ts'
import type { EventStore } from '../store/event-store.ts'
import {
  appendRows,
  type DerivedTable,
  deriveSql,
  EVENTS_TABLE,
  eventRow,
  INSERT_PACKED_EVENTS,
  packEvents,
} from './event-tables.ts'

export interface IngestedBatch {
  readonly count: number
  readonly position: number
  readonly types: ReadonlySet<string>
}

export interface EventIngestionOptions {
  /** Typed tables derived from `events`; their DDL must already exist (see createTables). */
  tables?: readonly DerivedTable[]
  /** Events written in one DuckDB transaction at most. @default 4096 */
  batchSize?: number
  /** Told after every committed batch (result cache eviction, dashboard feeds). */
  onBatch?: (batch: IngestedBatch) => void
  /** Wait before retrying after a failed write. @default 1000 */
  retryMs?: number
  /** Send each batch as one packed string (see packEvents) rather than value by value. @default true */
  packed?: boolean
}

const CHECKPOINT = 'events'
const READ_CHECKPOINT = 'SELECT position FROM ingest_checkpoint WHERE name = $1'
const WRITE_CHECKPOINT = `INSERT INTO ingest_checkpoint VALUES ($1, $2)
  ON CONFLICT (name) DO UPDATE SET position = excluded.position`

/**
 * The analytics projection: copies every committed event into DuckDB in batches. Each batch
 * (rows of every table plus the checkpoint) is one DuckDB transaction, so after a crash the
 * tables and the checkpoint agree and ingestion resumes exactly where it stopped. It reads
 * history through the EventStore port and never opens the SQLite file from DuckDB.
 */
export class EventIngestion {
  readonly #writer: DuckDBConnection
  readonly #store: EventStore
  readonly #bus: BroadcastRing
  readonly #derive: readonly string[]
  readonly #batchSize: number
  readonly #retryMs: number
  readonly #packed: boolean
  readonly #onBatch: ((batch: IngestedBatch) => void) | undefined
  readonly #stop = new AbortController()
  #appender: DuckDBAppender | null = null
  readonly #waiters = new Set<{ position: number; resolve: () => void }>()
  #position = 0
  #loop: Promise<void> | null = null

  constructor(writer: DuckDBConnection, store: EventStore, bus: BroadcastRing, options: EventIngestionOptions = {}) {
    const { tables = [], batchSize = 4096, retryMs = 1000, onBatch, packed = true } = options
    this.#packed = packed
    this.#writer = writer
    this.#store = store
    this.#bus = bus
    this.#derive = tables.map(deriveSql)
    this.#batchSize = batchSize
    this.#retryMs = retryMs
    this.#onBatch = onBatch
  }

  /** The global position of the last event committed to DuckDB. */
  get position(): number {
    return this.#position
  }

  /** Subscribes, catches up from the store, then follows the bus in the background. */
  async start(): Promise<void> {
    const row = (await this.#writer.runAndReadAll(READ_CHECKPOINT, [CHECKPOINT])).getRows()[0]
    this.#position = row ? Number(row[0]) : 0
    // Subscribe before replay: whatever commits during catch-up waits in the ring.
    const messages = this.#bus.subscribe({ signal: this.#stop.signal })
    await this.#catchUp()
    this.#loop = this.#follow(messages)
  }

  /** Resolves once events up to `position` are queryable in DuckDB; rejects after `timeoutMs`. */
  waitFor(position: number, options: { timeoutMs?: number } = {}): Promise<void> {
    const { timeoutMs = 5_000 } = options
    if (position <= this.#position) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const waiter = {
        position,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      }
      // A stuck ingestion must not collect waiters forever: each one gives up and leaves.
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter)
        reject(
          new Error(`Cannot wait for analytics to reach ${position}: still at ${this.#position} after ${timeoutMs} ms`),
        )
      }, timeoutMs)
      this.#waiters.add(waiter)
    })
  }

  async stop(): Promise<void> {
    this.#stop.abort()
    await this.#loop
    this.#appender?.closeSync()
    this.#appender = null
  }

  /** Writes one batch (positions must be ascending and beyond the checkpoint) in one transaction. */
  async ingest(events: readonly StoredEvent[]): Promise<void> {
    const fresh = events.filter((event) => event.position > this.#position)
    const last = fresh.at(-1)
    if (!last) return
    const previous = this.#position
    await this.#writer.run('BEGIN TRANSACTION')
    try {
      const packed = this.#packed ? packEvents(fresh) : null
      if (packed !== null) {
        for (const part of packed) await this.#writer.run(INSERT_PACKED_EVENTS, [part])
      } else {
        this.#appender ??= await this.#writer.createAppender(EVENTS_TABLE.name)
        appendRows(
          this.#appender,
          EVENTS_TABLE,
          fresh.map((event) => [event.position, eventRow(event)] as const),
        )
        this.#appender.flushSync()
      }
      for (const sql of this.#derive) await this.#writer.run(sql, [previous])
      await this.#writer.run(WRITE_CHECKPOINT, [CHECKPOINT, last.position])
      await this.#writer.run('COMMIT')
    } catch (error) {
      await this.#writer.run('ROLLBACK').catch(() => undefined)
      // An appender that failed mid-batch may hold rows; the next batch starts with a fresh one.
      try {
        this.#appender?.closeSync()
      } catch {
        // Closing a failed appender can fail again; the error that matters is the one rethrown.
      }
      this.#appender = null
      throw error
    }
    this.#advance(last.position)
    this.#onBatch?.({ count: fresh.length, position: last.position, types: new Set(fresh.map((event) => event.type)) })
  }

  #advance(position: number): void {
    this.#position = position
    for (const waiter of this.#waiters) {
      if (waiter.position <= position) {
        this.#waiters.delete(waiter)
        waiter.resolve()
      }
    }
  }

  async #catchUp(): Promise<void> {
    for (;;) {
      const page = await this.#store.readAll({ after: this.#position, limit: this.#batchSize })
      if (page.length === 0) return
      await this.ingest(page)
    }
  }

  /**
   * Drains the bus into batches: after each wake-up everything the ring already holds is
   * taken at once (up to the batch size), so the batch grows with the load while a write is
   * running. A lag, or a failed write, falls back to reading the store from the checkpoint,
   * which is always exact.
   */
  async #follow(subscription: BusSubscription): Promise<void> {
    while (await subscription.ready()) {
      const batch: StoredEvent[] = []
      let lagged = false
      while (batch.length < this.#batchSize) {
        const message = subscription.poll()
        if (!message) break
        if (message.kind === 'event') batch.push(message.event)
        else lagged = true
      }
      if (lagged) await this.#recover('lagged')
      else if (batch.length > 0) await this.#write(batch)
    }
  }

  async #write(batch: StoredEvent[]): Promise<void> {
    try {
      await this.ingest(batch)
    } catch (error) {
      console.error('Cannot ingest events into analytics; catching up from the store', error)
      await this.#recover('failed')
    }
  }

  /** Re-reads the log from the checkpoint, retrying until it works or ingestion stops. */
  async #recover(why: 'lagged' | 'failed'): Promise<void> {
    for (let attempt = 0; !this.#stop.signal.aborted; attempt++) {
      try {
        if (why === 'failed' || attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.#retryMs))
        await this.#catchUp()
        return
      } catch (error) {
        console.error('Cannot catch analytics up from the store; retrying', error)
      }
    }
  }
}

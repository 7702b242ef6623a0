import type { DuckDBAppender, DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api'
import type { BroadcastRing, BusSubscription } from '../bus.ts'
import type { StoredEvent } from '../events.ts'
import { createLogger, type Logger } from '../log.ts'
import { MetricsRegistry } from '../metrics.ts'
import type { EventStore } from '../store/event-store.ts'
import {
  appendRows,
  type DerivedTable,
  deriveSql,
  EVENTS_TABLE,
  eventRow,
  INSERT_PACKED_EVENTS,
  packChunk,
} from './event-tables.ts'
import { isRefusedData, skippedEventReporter, writeIsolating } from './refused-events.ts'

export interface IngestedBatch {
  readonly count: number
  readonly position: number
  readonly types: ReadonlySet<string>
}

export interface EventIngestionOptions {
  /** Typed tables derived from `events`; their DDL must already exist (see createTables). */
  tables?: readonly DerivedTable[]
  /** Events in one bus batch, and in one page read from the store, at most. @default 4096 */
  batchSize?: number
  /** Events catch-up writes in one DuckDB transaction, across pages. @default 262144 */
  transactionEvents?: number
  /** Told after every committed batch (result cache eviction, dashboard feeds). */
  onBatch?: (batch: IngestedBatch) => void
  /** Wait before retrying after a failed write. @default 1000 */
  retryMs?: number
  /** Send each batch as packed column strings (see packChunk) rather than value by value. @default true */
  packed?: boolean
  /** Where skipped events are counted: the server's registry. @default a registry of its own */
  registry?: MetricsRegistry
  /** Where each skipped event and every failure is reported: the server's logger. @default JSON to stdout/stderr */
  log?: Logger
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
  readonly #transactionEvents: number
  readonly #retryMs: number
  readonly #packed: boolean
  readonly #onBatch: ((batch: IngestedBatch) => void) | undefined
  readonly #reportSkipped: (event: StoredEvent, error: Error) => void
  readonly #log: Logger
  readonly #stop = new AbortController()
  #appender: DuckDBAppender | null = null
  #insert: DuckDBPreparedStatement | null = null
  readonly #waiters = new Set<{ position: number; resolve: () => void }>()
  #position = 0
  #loop: Promise<void> | null = null

  constructor(writer: DuckDBConnection, store: EventStore, bus: BroadcastRing, options: EventIngestionOptions = {}) {
    const {
      tables = [],
      batchSize = 4096,
      transactionEvents = 262_144,
      retryMs = 1000,
      onBatch,
      packed = true,
      registry = new MetricsRegistry(),
      log = createLogger(),
    } = options
    this.#log = log
    this.#transactionEvents = transactionEvents
    this.#packed = packed
    this.#writer = writer
    this.#store = store
    this.#bus = bus
    this.#derive = tables.map(deriveSql)
    this.#batchSize = batchSize
    this.#retryMs = retryMs
    this.#onBatch = onBatch
    this.#reportSkipped = skippedEventReporter(registry, log)
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
    this.#insert?.destroySync()
    this.#insert = null
  }

  /** Writes one batch (positions must be ascending and beyond the checkpoint) in one transaction. */
  async ingest(events: readonly StoredEvent[]): Promise<void> {
    await this.#transaction((write) => write(events))
  }

  /**
   * One DuckDB transaction around whatever `fill` writes (one bus batch, or several catch-up
   * pages): DuckDB's commit costs about as much as inserting 16,384 events, so catch-up holds
   * the transaction for up to `transactionEvents`. The derived tables and the checkpoint are
   * written once, just before the commit, so they agree with `events` after a crash.
   */
  async #transaction(fill: (write: (events: readonly StoredEvent[]) => Promise<void>) => Promise<void>): Promise<void> {
    const previous = this.#position
    let last = previous
    let count = 0
    let begun = false
    const types = new Set<string>()
    const write = async (events: readonly StoredEvent[]): Promise<void> => {
      const fresh = events.filter((event) => event.position > last)
      const end = fresh.at(-1)
      if (!end) return
      if (!begun) await this.#writer.run('BEGIN TRANSACTION')
      begun = true
      if (this.#packed) await this.#insertPacked(fresh)
      else await this.#appendValues(fresh)
      last = end.position
      count += fresh.length
      for (const event of fresh) types.add(event.type)
    }
    try {
      await fill(write)
      if (!begun) return
      for (const sql of this.#derive) await this.#writer.run(sql, [previous])
      await this.#writer.run(WRITE_CHECKPOINT, [CHECKPOINT, last])
      await this.#writer.run('COMMIT')
    } catch (error) {
      if (begun) await this.#writer.run('ROLLBACK').catch(() => undefined)
      // An appender that failed mid-batch may hold rows; the next batch starts with a fresh one.
      try {
        this.#appender?.closeSync()
      } catch {
        // Closing a failed appender can fail again; the error that matters is the one rethrown.
      }
      this.#appender = null
      throw error
    }
    this.#advance(last)
    this.#onBatch?.({ count, position: last, types })
  }

  /**
   * Inserts the batch chunk by chunk, packing the next chunk in JS while DuckDB inserts the
   * current one on its worker thread. An event that cannot be packed goes value by value.
   */
  async #insertPacked(events: readonly StoredEvent[]): Promise<void> {
    this.#insert ??= await this.#writer.prepare(INSERT_PACKED_EVENTS)
    const insert = this.#insert
    let pending: Promise<unknown> | null = null
    try {
      for (let start = 0; start < events.length; ) {
        const { chunk, next } = packChunk(events, start)
        await pending
        pending = null
        if (chunk === null) {
          await this.#appendValues(events.slice(start, next))
        } else {
          for (const [i, column] of chunk.entries()) insert.bindVarchar(i + 1, column)
          pending = insert.run()
        }
        start = next
      }
    } finally {
      // Never leave an insert running when the caller rolls back (a payload that cannot be packed).
      await pending
    }
  }

  async #appendValues(events: readonly StoredEvent[]): Promise<void> {
    this.#appender ??= await this.#writer.createAppender(EVENTS_TABLE.name)
    appendRows(
      this.#appender,
      EVENTS_TABLE,
      events.map((event) => [event.position, eventRow(event)] as const),
    )
    this.#appender.flushSync()
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

  /** Writes a batch so that an event DuckDB refuses is skipped rather than failing it for good. */
  #isolate(events: readonly StoredEvent[]): Promise<void> {
    return writeIsolating(
      events,
      (part) => this.ingest(part),
      (event, error) => this.#skip(event, error),
    )
  }

  /** Moves the checkpoint past an event DuckDB refused, counted and logged. */
  async #skip(event: StoredEvent, error: Error): Promise<void> {
    await this.#writer.run(WRITE_CHECKPOINT, [CHECKPOINT, event.position])
    this.#reportSkipped(event, error)
    this.#advance(event.position)
  }

  /**
   * Reads the store from the checkpoint in pages, up to `transactionEvents` per transaction.
   * A transaction DuckDB refuses is done again page by page, isolating the event at fault.
   */
  async #catchUp(): Promise<void> {
    for (let more = true; more; ) {
      try {
        await this.#transaction(async (write) => {
          more = await this.#readPages(write)
        })
      } catch (error) {
        if (!isRefusedData(error)) throw error
        more = await this.#readPages((page) => this.#isolate(page))
      }
    }
  }

  /** Hands `write` pages from the checkpoint, up to `transactionEvents`; false once the log is read to its end. */
  async #readPages(write: (page: readonly StoredEvent[]) => Promise<void>): Promise<boolean> {
    let after = this.#position
    for (let written = 0; written < this.#transactionEvents; ) {
      const page = await this.#store.readAll({ after, limit: this.#batchSize })
      const end = page.at(-1)
      if (!end) return false
      await write(page)
      written += page.length
      after = end.position
    }
    return true
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
      await this.#isolate(batch)
    } catch (error) {
      this.#log.error('Cannot ingest events into analytics; catching up from the store', { error })
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
        this.#log.error('Cannot catch analytics up from the store; retrying', { error })
      }
    }
  }
}

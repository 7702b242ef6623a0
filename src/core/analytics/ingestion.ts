import type { DuckDBAppender, DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api'
import type { BroadcastRing } from '../eventsourcing/bus.ts'
import type { StoredEvent } from '../eventsourcing/events.ts'
import { type Batch, Follower, type LogReader } from '../eventsourcing/follower.ts'
import type { EventStore } from '../eventsourcing/store/event-store.ts'
import { type WaitOptions, Watermark } from '../eventsourcing/watermark.ts'
import { createLogger, type Logger } from '../ops/log.ts'
import { MetricsRegistry } from '../ops/metrics.ts'
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
const CREATE_CHECKPOINT = 'INSERT INTO ingest_checkpoint VALUES ($1, 0)'
// A plain UPDATE of the row start() made, not an upsert: DuckDB 1.5 keeps native memory for every
// `INSERT ... ON CONFLICT DO UPDATE` it runs (300–700 bytes), and there is one per batch.
const WRITE_CHECKPOINT = 'UPDATE ingest_checkpoint SET position = $2 WHERE name = $1'

/**
 * The analytics projection: copies every committed event into DuckDB in batches. Each batch
 * (rows of every table plus the checkpoint) is one DuckDB transaction, so after a crash the
 * tables and the checkpoint agree and ingestion resumes exactly where it stopped. It reads
 * history through the EventStore port and never opens the SQLite file from DuckDB. The Follower
 * reads (replay, follow, catch up after a lag or a failed write, retrying); this class writes.
 */
export class EventIngestion {
  readonly #writer: DuckDBConnection
  readonly #store: EventStore
  readonly #bus: BroadcastRing
  readonly #derive: readonly string[]
  readonly #batchSize: number
  readonly #transactionEvents: number
  readonly #packed: boolean
  readonly #onBatch: ((batch: IngestedBatch) => void) | undefined
  readonly #reportSkipped: (event: StoredEvent, error: Error) => void
  readonly #watermark = new Watermark('analytics')
  readonly #follower: Follower
  #appender: DuckDBAppender | null = null
  #insert: DuckDBPreparedStatement | null = null

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
    this.#transactionEvents = transactionEvents
    this.#packed = packed
    this.#writer = writer
    this.#store = store
    this.#bus = bus
    this.#derive = tables.map(deriveSql)
    this.#batchSize = batchSize
    this.#onBatch = onBatch
    this.#reportSkipped = skippedEventReporter(registry, log)
    const handler = {
      handle: (batch: Batch) => this.#writeLive(batch),
      catchUp: (pages: LogReader) => this.#catchUp(pages),
    }
    this.#follower = new Follower('analytics ingestion', handler, { retryMs, log })
  }

  /** The global position of the last event committed to DuckDB. */
  get position(): number {
    return this.#watermark.position
  }

  /** Batches that failed to be written to DuckDB (a full disk); each was retried from the checkpoint. */
  get failures(): number {
    return this.#follower.counters().failures
  }

  /** Catches up from the store from the checkpoint, then follows the bus in the background. */
  async start(): Promise<void> {
    const row = (await this.#writer.runAndReadAll(READ_CHECKPOINT, [CHECKPOINT])).getRows()[0]
    if (!row) await this.#writer.run(CREATE_CHECKPOINT, [CHECKPOINT])
    this.#watermark.open(row ? Number(row[0]) : 0)
    const sources = { bus: this.#bus, store: this.#store, watermark: this.#watermark }
    await this.#follower.start(sources, { batchSize: this.#batchSize })
  }

  /** Resolves once events up to `position` are queryable in DuckDB (the Watermark's rule). */
  waitFor(position: number, options: WaitOptions = {}): Promise<void> {
    return this.#watermark.waitFor(position, options)
  }

  async stop(): Promise<void> {
    await this.#follower.stop()
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
    const previous = this.#watermark.position
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
      await this.#writeCheckpoint(last)
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
    this.#watermark.advance(last)
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

  /** Writes a batch so that an event DuckDB refuses is skipped rather than failing it for good. */
  #isolate(events: readonly StoredEvent[]): Promise<void> {
    return writeIsolating(
      events,
      (part) => this.ingest(part),
      (event, error) => this.#skip(event, error),
    )
  }

  async #writeCheckpoint(position: number): Promise<void> {
    const result = await this.#writer.run(WRITE_CHECKPOINT, [CHECKPOINT, position])
    // Without its row the UPDATE would lose the checkpoint silently, and a restart ingest twice.
    if (result.rowsChanged !== 1) throw new Error('Cannot write the ingestion checkpoint: start() did not create it')
  }

  /** Moves the checkpoint past an event DuckDB refused, counted and logged. */
  async #skip(event: StoredEvent, error: Error): Promise<void> {
    await this.#writeCheckpoint(event.position)
    this.#reportSkipped(event, error)
    this.#watermark.advance(event.position)
  }

  /**
   * Writes the catch-up's pages, up to `transactionEvents` per transaction. A transaction DuckDB
   * refuses is done again page by page from the checkpoint, isolating the event at fault.
   */
  async #catchUp(log: LogReader): Promise<void> {
    for (let more = true; more; ) {
      try {
        await this.#transaction(async (write) => {
          more = await this.#readPages(log, write)
        })
      } catch (error) {
        if (!isRefusedData(error)) throw error
        log.rewind()
        more = await this.#readPages(log, (page) => this.#isolate(page))
      }
    }
  }

  /** Hands `write` up to `transactionEvents` of the log; false once the log is read to its end. */
  async #readPages(log: LogReader, write: (page: readonly StoredEvent[]) => Promise<void>): Promise<boolean> {
    for (let written = 0; written < this.#transactionEvents; ) {
      const page = await log.read()
      if (!page) return false
      await write(page)
      written += page.length
    }
    return true
  }

  /**
   * A live batch: whatever the ring held at a wake-up (up to the batch size), so the batch grows
   * with the load while a write runs. A failed write is the Follower's to retry from the store.
   */
  async #writeLive(batch: Batch): Promise<void> {
    if (batch.kind !== 'lagged') await this.#isolate(batch.events)
  }
}

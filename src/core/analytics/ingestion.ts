import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api'
import type { BroadcastRing, BusMessage } from '../bus.ts'
import type { StoredEvent } from '../events.ts'
import type { EventStore } from '../store/event-store.ts'
import { type AnalyticsTable, appendRows, type Cell, EVENTS_TABLE } from './event-tables.ts'

export interface IngestedBatch {
  readonly count: number
  readonly position: number
  readonly types: ReadonlySet<string>
}

export interface EventIngestionOptions {
  /** Typed tables beside `events`; their DDL must already exist (see createTables). */
  tables?: readonly AnalyticsTable[]
  /** Events written in one DuckDB transaction at most. @default 4096 */
  batchSize?: number
  /** Told after every committed batch (result cache eviction, dashboard feeds). */
  onBatch?: (batch: IngestedBatch) => void
  /** Wait before retrying after a failed write. @default 1000 */
  retryMs?: number
}

const CHECKPOINT = 'events'
const READ_CHECKPOINT = 'SELECT position FROM ingest_checkpoint WHERE name = $1'
const WRITE_CHECKPOINT = `INSERT INTO ingest_checkpoint VALUES ($1, $2)
  ON CONFLICT (name) DO UPDATE SET position = excluded.position`

const idle = () => new Promise<'idle'>((resolve) => setImmediate(() => resolve('idle')))

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
  readonly #tables: readonly AnalyticsTable[]
  readonly #batchSize: number
  readonly #retryMs: number
  readonly #onBatch: ((batch: IngestedBatch) => void) | undefined
  readonly #stop = new AbortController()
  readonly #appenders = new Map<AnalyticsTable, DuckDBAppender>()
  readonly #waiters = new Set<{ position: number; resolve: () => void }>()
  #position = 0
  #loop: Promise<void> | null = null

  constructor(writer: DuckDBConnection, store: EventStore, bus: BroadcastRing, options: EventIngestionOptions = {}) {
    const { tables = [], batchSize = 4096, retryMs = 1000, onBatch } = options
    this.#writer = writer
    this.#store = store
    this.#bus = bus
    this.#tables = [EVENTS_TABLE, ...tables]
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

  /** Resolves once events up to `position` are queryable in DuckDB. */
  waitFor(position: number): Promise<void> {
    if (position <= this.#position) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.add({ position, resolve }))
  }

  async stop(): Promise<void> {
    this.#stop.abort()
    await this.#loop
    for (const appender of this.#appenders.values()) appender.closeSync()
    this.#appenders.clear()
  }

  /** Writes one batch (positions must be ascending and beyond the checkpoint) in one transaction. */
  async ingest(events: readonly StoredEvent[]): Promise<void> {
    const fresh = events.filter((event) => event.position > this.#position)
    const last = fresh.at(-1)
    if (!last) return
    const types = new Set<string>()
    await this.#writer.run('BEGIN TRANSACTION')
    try {
      for (const table of this.#tables) {
        const rows: [number, readonly Cell[]][] = []
        const accepts = table === EVENTS_TABLE ? null : new Set(table.eventTypes)
        for (const event of fresh) {
          if (accepts && !accepts.has(event.type)) continue
          const cells = table.toRow(event)
          if (cells) rows.push([event.position, cells])
        }
        if (rows.length === 0) continue
        const appender = await this.#appender(table)
        appendRows(appender, table, rows)
        appender.flushSync()
      }
      await this.#writer.run(WRITE_CHECKPOINT, [CHECKPOINT, last.position])
      await this.#writer.run('COMMIT')
    } catch (error) {
      await this.#writer.run('ROLLBACK').catch(() => undefined)
      // An appender that failed mid-chunk may hold rows; start the next batch with fresh ones.
      for (const appender of this.#appenders.values()) appender.closeSync()
      this.#appenders.clear()
      throw error
    }
    for (const event of fresh) types.add(event.type)
    this.#advance(last.position)
    this.#onBatch?.({ count: fresh.length, position: last.position, types })
  }

  async #appender(table: AnalyticsTable): Promise<DuckDBAppender> {
    let appender = this.#appenders.get(table)
    if (!appender) {
      appender = await this.#writer.createAppender(table.name)
      this.#appenders.set(table, appender)
    }
    return appender
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
   * Drains the bus into batches: everything already waiting is taken at once (up to the batch
   * size); when the ring has nothing more right now, the batch is written. A lag, or a failed
   * write, falls back to reading the store from the checkpoint, which is always exact.
   */
  async #follow(messages: AsyncIterableIterator<BusMessage>): Promise<void> {
    let batch: StoredEvent[] = []
    let next = messages.next()
    while (!this.#stop.signal.aborted) {
      const got = batch.length > 0 && batch.length < this.#batchSize ? await Promise.race([next, idle()]) : await next
      if (got !== 'idle' && got.done) break
      if (got !== 'idle') {
        next = messages.next()
        if (got.value.kind === 'event') batch.push(got.value.event)
        else batch = await this.#recover(batch, 'lagged')
        if (batch.length < this.#batchSize) continue
      }
      batch = await this.#write(batch)
    }
    if (batch.length > 0) await this.#write(batch)
  }

  async #write(batch: StoredEvent[]): Promise<StoredEvent[]> {
    try {
      await this.ingest(batch)
      return []
    } catch (error) {
      console.error('Cannot ingest events into analytics; catching up from the store', error)
      return this.#recover(batch, 'failed')
    }
  }

  /** Drops what is pending and re-reads the log from the checkpoint, retrying until it works. */
  async #recover(_batch: StoredEvent[], why: 'lagged' | 'failed'): Promise<StoredEvent[]> {
    for (let attempt = 0; !this.#stop.signal.aborted; attempt++) {
      try {
        if (why === 'failed' || attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.#retryMs))
        await this.#catchUp()
        return []
      } catch (error) {
        console.error('Cannot catch analytics up from the store; retrying', error)
      }
    }
    return []
  }
}

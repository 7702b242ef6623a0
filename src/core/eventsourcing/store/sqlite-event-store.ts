import type { Database } from 'bun:sqlite'
import { OverloadedError, UnexpectedError, ValidationError } from '../../errors.ts'
import { createLogger, type Logger } from '../../ops/log.ts'
import type { NewEvent, StoredEvent, StreamRef } from '../events.ts'
import type { EventRegistry } from '../upcast.ts'
import { appendInTransaction, findAppliedCommand, type PreparedAppend } from './append.ts'
import type {
  AppendOptions,
  AppendResult,
  CommitListener,
  EventStore,
  ExpectedVersion,
  ReadAllOptions,
  StoreStats,
} from './event-store.ts'
import { headPosition, readAll, readStream } from './read.ts'
import { serializePayload } from './serialize.ts'

export interface SqliteEventStoreOptions {
  /** Largest serialised payload of one event. @default 1048576 (1 MiB) */
  maxPayloadBytes?: number
  /** Appends waiting for a commit before new ones are refused with OverloadedError. @default 10000 */
  maxPending?: number
  /** Appends committed in one transaction at most. @default 1000 */
  maxBatch?: number
  /** Where a failing commit listener is reported. @default JSON lines to stderr */
  log?: Logger
}

interface PendingAppend {
  readonly append: PreparedAppend
  readonly resolve: (result: AppendResult) => void
  readonly reject: (error: unknown) => void
}

/**
 * The SQLite event store with group commit: appends queue up while the event loop is busy
 * (a commit blocks it, fsync included) and the next flush writes them all in one
 * transaction, one fsync. Each append runs in its own savepoint, so a conflict fails only
 * that append. Promises settle after COMMIT returns: acknowledged means durable.
 */
export class SqliteEventStore implements EventStore {
  readonly #db: Database
  readonly #log: Logger
  readonly #registry: EventRegistry
  readonly #maxPayloadBytes: number
  readonly #maxPending: number
  readonly #maxBatch: number
  readonly #listeners = new Set<CommitListener>()
  #queue: PendingAppend[] = []
  #flushScheduled = false
  #flushing: Promise<void> | null = null
  #closed = false
  #stats = { commits: 0, appends: 0, events: 0 }

  constructor(db: Database, registry: EventRegistry, options: SqliteEventStoreOptions = {}) {
    const { maxPayloadBytes = 1_048_576, maxPending = 10_000, maxBatch = 1_000, log = createLogger() } = options
    this.#log = log
    this.#db = db
    this.#registry = registry
    this.#maxPayloadBytes = maxPayloadBytes
    this.#maxPending = maxPending
    this.#maxBatch = maxBatch
  }

  append(
    stream: StreamRef,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    try {
      const append = this.#prepare(stream, expectedVersion, events, options)
      if (this.#closed) throw new OverloadedError('Cannot append: the event store is closed')
      if (this.#queue.length >= this.#maxPending) {
        throw new OverloadedError(`Cannot append: ${this.#queue.length} appends already waiting for a commit`)
      }
      return new Promise((resolve, reject) => {
        this.#queue.push({ append, resolve, reject })
        this.#scheduleFlush()
      })
    } catch (error) {
      return Promise.reject(error)
    }
  }

  async findCommand(commandId: string): Promise<AppendResult | null> {
    return findAppliedCommand(this.#db, this.#registry, commandId)
  }

  async readStream(stream: StreamRef, fromVersion = 1): Promise<StoredEvent[]> {
    return readStream(this.#db, this.#registry, stream, fromVersion)
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const { after = 0, limit = 1_000 } = options
    return readAll(this.#db, this.#registry, after, limit)
  }

  async headPosition(): Promise<number> {
    return headPosition(this.#db)
  }

  onCommit(listener: CommitListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  stats(): StoreStats {
    return { ...this.#stats }
  }

  /** Commits what is queued, then refuses new appends. The database handle stays the caller's. */
  async close(): Promise<void> {
    this.#closed = true
    while (this.#queue.length > 0 || this.#flushing) {
      await (this.#flushing ?? this.#flushNow())
    }
  }

  #prepare(
    stream: StreamRef,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): PreparedAppend {
    const where = `Cannot append to stream "${stream.type}/${stream.id}"`
    if (events.length === 0) throw new ValidationError(`${where}: no events given`)
    if (expectedVersion !== 'any' && (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0)) {
      throw new ValidationError(`${where}: expected version ${expectedVersion} is not a whole number ≥ 0`)
    }
    const prepared = events.map((event) => ({
      type: event.type,
      schemaVersion: this.#registry.currentVersion(event.type),
      data: event.data,
      payload: serializePayload(event.data, this.#maxPayloadBytes, `${where}: event "${event.type}"`),
    }))
    const metadata =
      options.commandId || options.metadata ? { ...options.metadata, commandId: options.commandId } : null
    if (metadata) serializePayload(metadata, this.#maxPayloadBytes, `${where}: metadata`)
    return { stream, expectedVersion, events: prepared, commandId: options.commandId, metadata }
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    // setImmediate, not a microtask: lets every caller woken by the previous commit enqueue first.
    setImmediate(() => {
      this.#flushScheduled = false
      void this.#flushNow()
    })
  }

  #flushNow(): Promise<void> {
    const batch = this.#queue.splice(0, this.#maxBatch)
    if (this.#queue.length > 0) this.#scheduleFlush()
    if (batch.length === 0) return Promise.resolve()
    this.#flushing = Promise.resolve().then(() => {
      try {
        this.#commit(batch)
      } finally {
        this.#flushing = null
      }
    })
    return this.#flushing
  }

  #commit(batch: PendingAppend[]): void {
    const outcomes: ({ ok: true; result: AppendResult } | { ok: false; error: unknown })[] = []
    const db = this.#db
    // db.query() caches the prepared statement: no SQL is parsed per append.
    const savepoint = db.query('SAVEPOINT append')
    const release = db.query('RELEASE append')
    const rollbackTo = db.query('ROLLBACK TO append')
    try {
      db.run('BEGIN IMMEDIATE')
      for (const { append } of batch) {
        savepoint.run()
        try {
          outcomes.push({ ok: true, result: appendInTransaction(db, this.#registry, append) })
          release.run()
        } catch (error) {
          rollbackTo.run()
          release.run()
          outcomes.push({ ok: false, error })
        }
      }
      db.run('COMMIT')
    } catch (cause) {
      if (db.inTransaction) db.run('ROLLBACK')
      const error = new UnexpectedError('Cannot commit appended events', { cause })
      for (const pending of batch) pending.reject(error)
      return
    }

    const committed: StoredEvent[] = []
    for (const outcome of outcomes) {
      if (!outcome.ok) continue
      this.#stats.appends++
      if (!outcome.result.duplicate) committed.push(...outcome.result.events)
    }
    this.#stats.commits++
    this.#stats.events += committed.length
    if (committed.length > 0) this.#notify(committed)
    batch.forEach((pending, index) => {
      const outcome = outcomes[index]
      if (outcome?.ok) pending.resolve(outcome.result)
      else pending.reject(outcome?.error)
    })
  }

  #notify(events: readonly StoredEvent[]): void {
    for (const listener of this.#listeners) {
      try {
        listener(events)
      } catch (error) {
        // A faulty listener must not turn a durable commit into a failed append.
        this.#log.error('Commit listener failed', { error })
      }
    }
  }
}

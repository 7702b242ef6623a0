import type { Database } from 'bun:sqlite'
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
import { type AppendOutcome, GroupCommit } from './group-commit.ts'
import { prepareAppend } from './prepare.ts'
import { headPosition, readAll, readStream } from './read.ts'

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

/**
 * The SQLite event store with group commit: appends queue up while the event loop is busy
 * (a commit blocks it, fsync included) and the next flush writes them all in one
 * transaction, one fsync. Each append runs in its own savepoint, so a conflict fails only
 * that append. Promises settle after COMMIT returns: acknowledged means durable.
 */
export class SqliteEventStore implements EventStore {
  readonly #db: Database
  readonly #registry: EventRegistry
  readonly #maxPayloadBytes: number
  readonly #group: GroupCommit

  constructor(db: Database, registry: EventRegistry, options: SqliteEventStoreOptions = {}) {
    const { maxPayloadBytes = 1_048_576, maxPending = 10_000, maxBatch = 1_000, log = createLogger() } = options
    this.#db = db
    this.#registry = registry
    this.#maxPayloadBytes = maxPayloadBytes
    this.#group = new GroupCommit((batch) => this.#commit(batch), { maxPending, maxBatch, log })
  }

  append(
    stream: StreamRef,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    try {
      return this.#group.enqueue(
        prepareAppend(this.#registry, this.#maxPayloadBytes, stream, expectedVersion, events, options),
      )
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
    return this.#group.onCommit(listener)
  }

  stats(): StoreStats {
    return this.#group.stats()
  }

  /** Commits what is queued, then refuses new appends. The database handle stays the caller's. */
  close(): Promise<void> {
    return this.#group.close()
  }

  #commit(batch: readonly PreparedAppend[]): AppendOutcome[] {
    const outcomes: AppendOutcome[] = []
    const db = this.#db
    // db.query() caches the prepared statement: no SQL is parsed per append.
    const savepoint = db.query('SAVEPOINT append')
    const release = db.query('RELEASE append')
    const rollbackTo = db.query('ROLLBACK TO append')
    try {
      db.run('BEGIN IMMEDIATE')
      for (const append of batch) {
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
      throw cause
    }
    return outcomes
  }
}

import type { Database } from 'bun:sqlite'
import type { StoredEvent, StreamRef } from '../events.ts'
import type { EventRegistry } from '../upcast.ts'
import { appendInTransaction, findAppliedCommand, type PreparedAppend } from './append.ts'
import { BatchingEventStore, type BatchingEventStoreOptions } from './batching-event-store.ts'
import { BatchChains } from './chain-link.ts'
import type { AppendResult } from './event-store.ts'
import { FileIdentity } from './file-identity.ts'
import type { AppendOutcome } from './group-commit.ts'
import { headPosition, readAll, readStream } from './read.ts'
import { storageFailure } from './storage-failure.ts'

export interface SqliteEventStoreOptions extends BatchingEventStoreOptions {
  /**
   * How often the database and WAL files are checked between commits (two `stat` calls), so one
   * removed while no command comes is found, its WAL rescued, and writes refused. 0: only at commits.
   * @default 1000
   */
  checkFilesEveryMs?: number
}

/**
 * The SQLite event store with group commit: appends queue up while the event loop is busy
 * (a commit blocks it, fsync included) and the next flush writes them all in one
 * transaction, one fsync. Each append runs in its own savepoint, so a conflict fails only
 * that append. Promises settle after COMMIT returns: acknowledged means durable. A batch is
 * refused (and so is every later one) when the database or WAL file was removed or replaced,
 * noticed at a commit or by the check every `checkFilesEveryMs` between them; a full or read-only
 * disk fails the whole batch, and writes resume with the next one that fits.
 */
export class SqliteEventStore extends BatchingEventStore {
  readonly #db: Database
  readonly #stopCheckingFiles: () => void

  constructor(db: Database, registry: EventRegistry, options: SqliteEventStoreOptions = {}) {
    const files = FileIdentity.of(db)
    super(registry, options, (batch) => commitBatch(db, registry, batch, files))
    this.#db = db
    const { checkFilesEveryMs = 1_000 } = options
    this.#stopCheckingFiles =
      files && checkFilesEveryMs > 0 ? files.watch(checkFilesEveryMs, (fault) => this.refuseWrites(fault)) : () => {}
  }

  /** Stops the file check, commits what is queued, then refuses new appends. */
  override close(): Promise<void> {
    this.#stopCheckingFiles()
    return super.close()
  }

  async findCommand(commandId: string): Promise<AppendResult | null> {
    return findAppliedCommand(this.#db, this.registry, commandId)
  }

  async readStream(stream: StreamRef, fromVersion = 1): Promise<StoredEvent[]> {
    return readStream(this.#db, this.registry, stream, fromVersion)
  }

  async headPosition(): Promise<number> {
    return headPosition(this.#db)
  }

  protected async readPage(after: number, limit: number): Promise<StoredEvent[]> {
    return readAll(this.#db, this.registry, after, limit)
  }
}

function commitBatch(
  db: Database,
  registry: EventRegistry,
  batch: readonly PreparedAppend[],
  files: FileIdentity | null,
): AppendOutcome[] {
  files?.assertInPlace()
  const outcomes: AppendOutcome[] = []
  // db.query() caches the prepared statement: no SQL is parsed per append.
  const savepoint = db.query('SAVEPOINT append')
  const release = db.query('RELEASE append')
  const rollbackTo = db.query('ROLLBACK TO append')
  const chains = new BatchChains()
  try {
    db.run('BEGIN IMMEDIATE')
    for (const append of batch) {
      savepoint.run()
      try {
        outcomes.push({ ok: true, result: appendInTransaction(db, registry, append, chains) })
        release.run()
      } catch (error) {
        // A full disk or an I/O error rolls the whole transaction back, or fails the rest of it:
        // the batch failed, not this append (storageFailure tells the group commit which fault).
        if (!db.inTransaction || storageFailure(error)) throw error
        rollbackTo.run()
        release.run()
        outcomes.push({ ok: false, error })
      }
    }
    db.run('COMMIT')
    // A file swapped during the commit took the batch with it: it must not be acknowledged.
    files?.assertInPlace()
  } catch (cause) {
    if (db.inTransaction) db.run('ROLLBACK')
    throw cause
  }
  return outcomes
}

import type { Database } from 'bun:sqlite'
import { statSync } from 'node:fs'
import { StorageFaultError } from '../../errors.ts'

interface FileId {
  readonly dev: number
  readonly ino: number
}

function idOf(path: string): FileId | null {
  const stats = statSync(path, { throwIfNoEntry: false })
  return stats ? { dev: stats.dev, ino: stats.ino } : null
}

const same = (a: FileId | null, b: FileId | null) => a !== null && b !== null && a.dev === b.dev && a.ino === b.ino

/**
 * Notices that the database file or its `-wal` was unlinked or replaced under an open
 * connection. SQLite keeps writing to the file it opened, so such commits would vanish with the
 * process: the event store checks before and after each batch, the session store around each
 * write (two `stat` calls, about a microsecond each), and both refuse to acknowledge once the
 * paths no longer name the files they write to. Between writes `watch` checks on a timer, so a
 * file removed while the server is quiet is found (and its WAL rescued) before a crash could lose it.
 */
export class FileIdentity {
  readonly #db: Database
  readonly #dbPath: string
  readonly #action: string
  readonly #dbId: FileId | null
  // The WAL appears with the first write after WAL mode is set: recorded when first seen.
  #walId: FileId | null
  #walRescued = false

  private constructor(db: Database, dbPath: string, action: string) {
    this.#db = db
    this.#dbPath = dbPath
    this.#action = action
    this.#dbId = idOf(dbPath)
    this.#walId = idOf(`${dbPath}-wal`)
  }

  /**
   * Null for a database without a file of its own (in memory or temporary). `action` names the
   * refused write in the error ("Cannot append: …", "Cannot write sessions: …").
   */
  static of(db: Database, action = 'append'): FileIdentity | null {
    const path = db.filename
    if (path === '' || path === ':memory:' || path.startsWith('file::memory:')) return null
    return new FileIdentity(db, path, action)
  }

  /** Throws a StorageFaultError when the database or its WAL is no longer the file opened. */
  assertInPlace(): void {
    if (!same(this.#dbId, idOf(this.#dbPath))) throw this.#fault('database file')
    const wal = idOf(`${this.#dbPath}-wal`)
    if (this.#walId === null) this.#walId = wal
    else if (!same(this.#walId, wal)) {
      this.#rescueWal()
      throw this.#fault("database's write-ahead log (-wal file)")
    }
  }

  /**
   * Checks every `everyMs` without waiting for a write and calls `onFault` once when a file is no
   * longer the one opened (the WAL rescued first); returns what stops it. The timer is unref'd: it
   * never keeps a finished process alive. A tick cannot land inside a commit: bun:sqlite commits
   * synchronously, on the same thread as the timer.
   */
  watch(everyMs: number, onFault: (fault: StorageFaultError) => void): () => void {
    const timer = setInterval(() => {
      try {
        this.assertInPlace()
      } catch (error) {
        if (!(error instanceof StorageFaultError)) return // a stat that failed for another reason: next tick
        clearInterval(timer)
        onFault(error)
      }
    }, everyMs)
    timer.unref()
    return () => clearInterval(timer)
  }

  /**
   * Commits acknowledged before the WAL was unlinked live only in that orphaned file, which
   * vanishes with the process: a crash or restart would lose them. The database file is still in
   * place (checked first), so a checkpoint copies them into it (fsynced) while the connection can
   * still read the orphan. Once; if it fails, the refusal that follows is still right.
   */
  #rescueWal(): void {
    if (this.#walRescued) return
    this.#walRescued = true
    try {
      this.#db.run('PRAGMA wal_checkpoint(FULL)')
    } catch {
      // Nothing more can be saved: the StorageFaultError thrown next says what happened.
    }
  }

  #fault(what: string): StorageFaultError {
    return new StorageFaultError(
      `Cannot ${this.#action}: the ${what} was removed or replaced while the server ran; restart the server`,
    )
  }
}

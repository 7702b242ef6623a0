import { Database } from 'bun:sqlite'

export interface OpenDatabaseOptions {
  /**
   * The page cache's bound in MiB. It fills with the pages read and written, so resident memory
   * grows with the file until it reaches this bound. @default 32
   */
  cacheMiB?: number
  /** How long a writer waits for a lock held by another connection. @default 5000 */
  busyTimeoutMs?: number
}

/**
 * Opens a SQLite file with the pragmas the event store relies on: WAL so readers never block
 * the writer, and synchronous=FULL so a committed transaction survives power loss.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  const { cacheMiB = 32, busyTimeoutMs = 5_000 } = options
  const db = new Database(path, { create: true, strict: true })
  db.run('PRAGMA journal_mode = WAL')
  db.run('PRAGMA synchronous = FULL')
  db.run('PRAGMA foreign_keys = ON')
  db.run(`PRAGMA busy_timeout = ${busyTimeoutMs}`)
  // A negative cache_size is in KiB, not pages.
  db.run(`PRAGMA cache_size = -${cacheMiB * 1024}`)
  return db
}

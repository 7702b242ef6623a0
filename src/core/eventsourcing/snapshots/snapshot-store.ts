import type { Database } from 'bun:sqlite'

/** A projection's encoded state at the global position it reflects. */
export interface Snapshot {
  readonly name: string
  readonly fingerprint: string
  readonly position: number
  readonly state: string
  /** `checksumOf(state)` when it was written: a row that no longer matches is damaged. */
  readonly checksum: string
}

/** Where snapshots are kept: the event store's own database. */
export interface SnapshotStore {
  /** The snapshot of this definition of the projection, or null. */
  load(name: string, fingerprint: string): Promise<Snapshot | null>
  /** How many snapshots of other definitions of this projection are kept (for the log line). */
  countOthers(name: string, fingerprint: string): Promise<number>
  /** Replaces this definition's snapshot and forgets all but the newest few of other definitions. */
  save(snapshot: Snapshot): Promise<void>
}

/**
 * Snapshots of older definitions kept per projection: enough for two versions of the code that run
 * side by side during a rolling deploy (they would otherwise overwrite each other), and bounded.
 */
export const KEPT_DEFINITIONS = 3

/** A fast hash of the encoded state: catches a damaged row, not an adversary (the database is trusted). */
export function checksumOf(state: string): string {
  return Bun.hash(state).toString(16)
}

const LOAD = `SELECT name, fingerprint, position, state, checksum FROM projection_snapshots
  WHERE name = ? AND fingerprint = ?`
const COUNT_OTHERS = 'SELECT count(*) AS n FROM projection_snapshots WHERE name = ? AND fingerprint <> ?'
const SAVE = `INSERT INTO projection_snapshots (name, fingerprint, position, state, checksum, written_at)
  VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (name, fingerprint) DO UPDATE SET position = excluded.position, state = excluded.state,
    checksum = excluded.checksum, written_at = excluded.written_at`
const PRUNE = `DELETE FROM projection_snapshots WHERE name = ? AND fingerprint NOT IN (
  SELECT fingerprint FROM projection_snapshots WHERE name = ? ORDER BY written_at DESC LIMIT ${KEPT_DEFINITIONS})`

/** Snapshots in the SQLite database the events are in (migration 0005). */
export class SqliteSnapshotStore implements SnapshotStore {
  readonly #db: Database

  constructor(db: Database) {
    this.#db = db
  }

  async load(name: string, fingerprint: string): Promise<Snapshot | null> {
    return this.#db.query<Snapshot, [string, string]>(LOAD).get(name, fingerprint)
  }

  async countOthers(name: string, fingerprint: string): Promise<number> {
    return this.#db.query<{ n: number }, [string, string]>(COUNT_OTHERS).get(name, fingerprint)?.n ?? 0
  }

  async save(snapshot: Snapshot): Promise<void> {
    const { name, fingerprint, position, state, checksum } = snapshot
    this.#db.transaction(() => {
      this.#db.query(SAVE).run(name, fingerprint, position, state, checksum, Date.now())
      this.#db.query(PRUNE).run(name, name)
    })()
  }
}

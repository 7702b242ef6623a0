import type { SQL } from 'bun'
import { KEPT_DEFINITIONS, type Snapshot, type SnapshotStore } from './snapshot-store.ts'

/**
 * Snapshots in PostgreSQL (migrations/postgres/0005), shared by every node: positions are global,
 * so any node's snapshot is a valid start for another running the same code. Two nodes writing
 * the same projection each replace the row with theirs; an older one only means a longer tail.
 */
export class PostgresSnapshotStore implements SnapshotStore {
  readonly #sql: SQL

  constructor(sql: SQL) {
    this.#sql = sql
  }

  async load(name: string, fingerprint: string): Promise<Snapshot | null> {
    const [row] = await this.#sql`SELECT name, fingerprint, position::float8 AS position, state, checksum
      FROM projection_snapshots WHERE name = ${name} AND fingerprint = ${fingerprint}`
    return (row as Snapshot | undefined) ?? null
  }

  async countOthers(name: string, fingerprint: string): Promise<number> {
    const [row] = await this.#sql`SELECT count(*)::int AS n FROM projection_snapshots
      WHERE name = ${name} AND fingerprint <> ${fingerprint}`
    return Number(row?.n ?? 0)
  }

  async save({ name, fingerprint, position, state, checksum }: Snapshot): Promise<void> {
    await this.#sql.begin(async (tx) => {
      await tx`INSERT INTO projection_snapshots (name, fingerprint, position, state, checksum, written_at)
        VALUES (${name}, ${fingerprint}, ${position}, ${state}, ${checksum}, ${Date.now()})
        ON CONFLICT (name, fingerprint) DO UPDATE SET position = excluded.position, state = excluded.state,
          checksum = excluded.checksum, written_at = excluded.written_at`
      await tx`DELETE FROM projection_snapshots WHERE name = ${name} AND fingerprint NOT IN (
        SELECT fingerprint FROM projection_snapshots WHERE name = ${name}
        ORDER BY written_at DESC LIMIT ${KEPT_DEFINITIONS})`
    })
  }
}

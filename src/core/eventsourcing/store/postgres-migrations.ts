import type { SQL } from 'bun'
import { type Migration, type MigrationReport, pendingMigrations } from '../migrations.ts'

/** Any fixed number, the same on every node: the lock that lets one node migrate at a time. */
const MIGRATION_LOCK = 7_311_801

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`

/**
 * The PostgreSQL side of the migration runner: the same bookkeeping table and rules as SQLite's
 * (`pendingMigrations`), each migration in its own transaction. Nodes that start together
 * take turns on an advisory lock, and each re-reads the version under it, so a migration
 * runs once however many nodes start at the same time.
 */
export async function migratePostgres(sql: SQL, migrations: readonly Migration[]): Promise<MigrationReport> {
  const applied: number[] = []
  let current = 0
  for (;;) {
    const next = await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`
      await tx.unsafe(CREATE_TABLE)
      const [row] = await tx`SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations`
      current = Number(row?.v ?? 0)
      const [migration] = pendingMigrations(current, migrations)
      if (!migration) return null
      await tx.unsafe(migration.sql)
      await tx`INSERT INTO schema_migrations (version, name, applied_at)
        VALUES (${migration.version}, ${migration.name}, ${new Date().toISOString()})`
      return migration.version
    })
    if (next === null) break
    applied.push(next)
  }
  return { applied, current: Math.max(current, migrations.at(-1)?.version ?? 0) }
}

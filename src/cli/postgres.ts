import type { SQL } from 'bun'
import { ConfigError } from '../config.ts'
import type { MigrationReport } from '../core/eventsourcing/migrations.ts'
import type { EventStore } from '../core/eventsourcing/store/event-store.ts'
import { PostgresEventStore } from '../core/eventsourcing/store/postgres-event-store.ts'
import { migratePostgres } from '../core/eventsourcing/store/postgres-migrations.ts'
import type { EventRegistry } from '../core/eventsourcing/upcast.ts'
import { postgresMigrations } from '../migrations.ts'
import { connectPostgres, describeDatabase } from '../storage.ts'
import { CliError, EXIT } from './cli-error.ts'

// What the CLI does with DATABASE_URL set: the same commands, against the shared database.

/** A pool for one command; an unreachable server is the command's one-sentence failure. */
export async function openPostgres(url: string): Promise<SQL> {
  try {
    return await connectPostgres(url, 2)
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.failure, { cause: error })
    throw error
  }
}

/** `migrate`: the shared schema, once however many nodes run it at the same time (an advisory lock). */
export async function migrateSharedDatabase(url: string): Promise<MigrationReport> {
  const sql = await openPostgres(url)
  try {
    return await migratePostgres(sql, postgresMigrations)
  } finally {
    await sql.close()
  }
}

/** `rebuild`: the shared event log, migrated first as on SQLite; `close()` ends the pool. */
export async function openSharedStore(url: string) {
  const sql = await openPostgres(url)
  try {
    await migratePostgres(sql, postgresMigrations)
  } catch (error) {
    await sql.close()
    throw error
  }
  return {
    open: (registry: EventRegistry): EventStore => new PostgresEventStore(sql, registry),
    close: () => sql.close(),
  }
}

/** `doctor`: the server answers, and its schema is the one this build needs. Writes nothing. */
export async function checkSharedDatabase(url: string): Promise<string> {
  const sql = await openPostgres(url)
  try {
    const [server] = await sql`SELECT current_setting('server_version') AS version,
      to_regclass('schema_migrations') IS NOT NULL AS migrated`
    const needed = postgresMigrations.at(-1)?.version ?? 0
    let current = 0
    if (server?.migrated) {
      const [row] = await sql`SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations`
      current = Number(row?.v ?? 0)
    }
    const where = `PostgreSQL ${server?.version} at ${describeDatabase(url)}`
    if (current < needed) {
      throw new Error(`${where}: schema at version ${current}, this build needs ${needed}; run migrate`)
    }
    return `${where}, schema at version ${current}`
  } finally {
    await sql.close()
  }
}

/** `backup` copies a SQLite file; PostgreSQL has its own tools, which this does not wrap. */
export function backupAdvice(url: string): CliError {
  return new CliError(
    `Cannot back up ${describeDatabase(url)} with this command: with DATABASE_URL set the events and sessions are in PostgreSQL; ` +
      'use pg_dump, e.g. pg_dump --format=custom --file=ironstar.dump "$DATABASE_URL" (see docs/deploy.md)',
    EXIT.failure,
  )
}

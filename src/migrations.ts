// Text imports are inlined by `bun build --compile`, so the binary carries its migrations.
// A test checks that every file in migrations/ and migrations/postgres/ is listed here.
import events from '../migrations/0001_events.sql' with { type: 'text' }
import commandLog from '../migrations/0002_command_log.sql' with { type: 'text' }
import sessions from '../migrations/0003_sessions.sql' with { type: 'text' }
import idempotentRequests from '../migrations/0004_idempotent_requests.sql' with { type: 'text' }
import projectionSnapshots from '../migrations/0005_projection_snapshots.sql' with { type: 'text' }
import pgEvents from '../migrations/postgres/0001_events.sql' with { type: 'text' }
import pgCommandLog from '../migrations/postgres/0002_command_log.sql' with { type: 'text' }
import pgSessions from '../migrations/postgres/0003_sessions.sql' with { type: 'text' }
import pgIdempotentRequests from '../migrations/postgres/0004_idempotent_requests.sql' with { type: 'text' }
import pgProjectionSnapshots from '../migrations/postgres/0005_projection_snapshots.sql' with { type: 'text' }
import { type Migration, parseMigrations } from './core/eventsourcing/migrations.ts'

export const migrations: readonly Migration[] = parseMigrations({
  '0001_events.sql': events,
  '0002_command_log.sql': commandLog,
  '0003_sessions.sql': sessions,
  '0004_idempotent_requests.sql': idempotentRequests,
  '0005_projection_snapshots.sql': projectionSnapshots,
})

/** The same schema for PostgreSQL (scale-out), applied by `migratePostgres`. */
export const postgresMigrations: readonly Migration[] = parseMigrations({
  '0001_events.sql': pgEvents,
  '0002_command_log.sql': pgCommandLog,
  '0003_sessions.sql': pgSessions,
  '0004_idempotent_requests.sql': pgIdempotentRequests,
  '0005_projection_snapshots.sql': pgProjectionSnapshots,
})

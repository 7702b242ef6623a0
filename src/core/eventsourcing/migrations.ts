import type { Database } from 'bun:sqlite'

export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

export interface MigrationReport {
  readonly applied: readonly number[]
  readonly current: number
}

/** Raised when the database was migrated by a newer build: running would risk silent damage. */
export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError'
  constructor(
    readonly databaseVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `Cannot open database: it is at schema version ${databaseVersion}, ` +
        `but this build knows migrations up to ${knownVersion}. Run a newer build`,
    )
  }
}

const MIGRATION_FILE = /^(\d+)_([\w-]+)\.sql$/

/** Parses `0001_events.sql`-style names into ordered migrations; rejects gaps and duplicates. */
export function parseMigrations(files: Readonly<Record<string, string>>): Migration[] {
  const migrations = Object.entries(files).map(([file, sql]) => {
    const match = MIGRATION_FILE.exec(file)
    if (!match) throw new Error(`Cannot parse migration file name "${file}": expected NNNN_name.sql`)
    return { version: Number(match[1]), name: match[2] ?? file, sql }
  })
  migrations.sort((a, b) => a.version - b.version)
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`Cannot order migrations: expected version ${index + 1}, found ${migration.version}`)
    }
  })
  return migrations
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`

/** The migrations a database at `current` still needs; refuses one migrated by a newer build. */
export function pendingMigrations(current: number, migrations: readonly Migration[]): Migration[] {
  const known = migrations.at(-1)?.version ?? 0
  if (current > known) throw new SchemaTooNewError(current, known)
  return migrations.filter((migration) => migration.version > current)
}

/** Applies each pending migration in its own transaction and records it; a re-run changes nothing. */
export function migrate(db: Database, migrations: readonly Migration[]): MigrationReport {
  db.run(CREATE_TABLE)
  const current = db.query<{ v: number | null }, []>('SELECT max(version) AS v FROM schema_migrations').get()?.v ?? 0
  const record = db.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  const applied: number[] = []
  for (const migration of pendingMigrations(current, migrations)) {
    db.transaction(() => {
      db.run(migration.sql)
      record.run(migration.version, migration.name, new Date().toISOString())
    }).immediate()
    applied.push(migration.version)
  }
  return { applied, current: Math.max(current, migrations.at(-1)?.version ?? 0) }
}

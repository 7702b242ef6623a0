import { afterEach, describe, expect, it } from 'bun:test'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { openDatabase } from '../../../src/core/eventsourcing/database.ts'
import { migrate, parseMigrations, SchemaTooNewError } from '../../../src/core/eventsourcing/migrations.ts'
import { migratePostgres } from '../../../src/core/eventsourcing/store/postgres-migrations.ts'
import { migrations, postgresMigrations } from '../../../src/migrations.ts'
import { openPostgresSchema, type PostgresSchema, pgUrl } from '../../fixtures/postgres.ts'
import { makeTempDir } from '../../fixtures/store.ts'

let dir = ''
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('migrate', () => {
  it('applies every migration to a fresh file, then a re-run changes nothing', () => {
    dir = makeTempDir()
    const db = openDatabase(join(dir, 'a.sqlite'))
    const first = migrate(db, migrations)
    expect(first.applied).toEqual(migrations.map((m) => m.version))
    const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all()
    expect(tables.map((t) => t.name)).toContain('events')
    const second = migrate(db, migrations)
    expect(second.applied).toEqual([])
    const recorded = db.query<{ n: number }, []>('SELECT count(*) AS n FROM schema_migrations').get()
    expect(recorded?.n).toBe(migrations.length)
    db.close()
  })

  it('the events table has both uniqueness constraints', () => {
    dir = makeTempDir()
    const db = openDatabase(join(dir, 'a.sqlite'))
    migrate(db, migrations)
    const insert = db.query(
      `INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, payload, created_at)
       VALUES (?, 's', '1', ?, 'T', '{}', 'now')`,
    )
    insert.run('e1', 1)
    expect(() => insert.run('e1', 2)).toThrow('UNIQUE')
    expect(() => insert.run('e2', 1)).toThrow('UNIQUE')
    expect(() => insert.run('e3', 0)).toThrow('CHECK')
    db.close()
  })

  it('refuses a database migrated past what this build knows', () => {
    dir = makeTempDir()
    const path = join(dir, 'a.sqlite')
    const db = openDatabase(path)
    migrate(db, migrations)
    const future = parseMigrations({
      ...Object.fromEntries(migrations.map((m) => [`${String(m.version).padStart(4, '0')}_${m.name}.sql`, m.sql])),
      [`${String(migrations.length + 1).padStart(4, '0')}_future.sql`]: 'CREATE TABLE future (x)',
    })
    migrate(db, future)
    expect(() => migrate(db, migrations)).toThrow(SchemaTooNewError)
    expect(() => migrate(db, migrations)).toThrow(`schema version ${migrations.length + 1}`)
    db.close()
  })

  it('rolls back a failing migration and records nothing for it', () => {
    dir = makeTempDir()
    const db = openDatabase(join(dir, 'a.sqlite'))
    const broken = parseMigrations({ '0001_ok.sql': 'CREATE TABLE a (x)', '0002_bad.sql': 'CREATE TABLE b (x); NOPE' })
    expect(() => migrate(db, broken)).toThrow()
    const recorded = db.query<{ v: number }, []>('SELECT max(version) AS v FROM schema_migrations').get()
    expect(recorded?.v).toBe(1)
    expect(db.query("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeNull()
    db.close()
  })

  it('lists every file of migrations/ and migrations/postgres/ in src/migrations.ts', () => {
    const files = (folder: string) =>
      readdirSync(join(import.meta.dir, '../../../migrations', folder)).filter((f) => f.endsWith('.sql'))
    expect(migrations.length).toBe(files('').length)
    expect(postgresMigrations.length).toBe(files('postgres').length)
  })

  it('parseMigrations() refuses gaps in the numbering', () => {
    expect(() => parseMigrations({ '0001_a.sql': '', '0003_c.sql': '' })).toThrow('expected version 2')
  })
})

describe.skipIf(!pgUrl)('migratePostgres', () => {
  let pg: PostgresSchema | undefined
  afterEach(async () => {
    await pg?.close()
    pg = undefined
  })
  const recorded = async (sql: PostgresSchema['sql']) =>
    Number((await sql`SELECT count(*)::int AS n FROM schema_migrations`)[0]?.n)

  it('has applied every migration, and a re-run changes nothing', async () => {
    pg = await openPostgresSchema()
    expect(await recorded(pg.sql)).toBe(postgresMigrations.length)
    expect(await migratePostgres(pg.sql, postgresMigrations)).toEqual({
      applied: [],
      current: postgresMigrations.length,
    })
  })

  it('applies each migration once when two nodes start together', async () => {
    pg = await openPostgresSchema()
    await pg.sql.unsafe(
      'DROP TABLE events, command_log, sessions, session_mint_key, idempotent_requests, projection_snapshots, schema_migrations',
    )
    const [a, b] = await Promise.all([
      migratePostgres(pg.connect(1), postgresMigrations),
      migratePostgres(pg.connect(1), postgresMigrations),
    ])
    expect([...(a?.applied ?? []), ...(b?.applied ?? [])].sort()).toEqual(postgresMigrations.map((m) => m.version))
    expect(await recorded(pg.sql)).toBe(postgresMigrations.length)
  })

  it('rolls back a failing migration, records nothing for it, and refuses a newer schema', async () => {
    pg = await openPostgresSchema()
    const broken = parseMigrations({
      ...Object.fromEntries(
        postgresMigrations.map((m) => [`${String(m.version).padStart(4, '0')}_${m.name}.sql`, m.sql]),
      ),
      [`${String(postgresMigrations.length + 1).padStart(4, '0')}_bad.sql`]: 'CREATE TABLE b (x int); NOPE',
    })
    await expect(migratePostgres(pg.sql, broken)).rejects.toThrow()
    expect(await recorded(pg.sql)).toBe(postgresMigrations.length)
    expect(await pg.sql`SELECT to_regclass('b') AS t`).toEqual([{ t: null }])
    await pg.sql`INSERT INTO schema_migrations VALUES (99, 'future', 'now')`
    await expect(migratePostgres(pg.sql, postgresMigrations)).rejects.toBeInstanceOf(SchemaTooNewError)
  })
})

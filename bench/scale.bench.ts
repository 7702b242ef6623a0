// Scale-out write path: acknowledged commands/s through the full pipeline with 64 concurrent
// callers, each on its own stream, fully durable on both engines: SQLite (WAL,
// synchronous=FULL) and PostgreSQL (synchronous_commit=on, group commit under the append
// lock), in the same run. PostgreSQL needs DATABASE_URL (postgres://…); without it only SQLite runs.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SQL } from 'bun'
import { CommandHandler } from '../src/core/eventsourcing/commands.ts'
import { openDatabase } from '../src/core/eventsourcing/database.ts'
import { migrate } from '../src/core/eventsourcing/migrations.ts'
import type { EventStore } from '../src/core/eventsourcing/store/event-store.ts'
import { PostgresEventStore } from '../src/core/eventsourcing/store/postgres-event-store.ts'
import { migratePostgres } from '../src/core/eventsourcing/store/postgres-migrations.ts'
import { SqliteEventStore } from '../src/core/eventsourcing/store/sqlite-event-store.ts'
import { migrations, postgresMigrations } from '../src/migrations.ts'
import { account, accountRegistry } from '../test/fixtures/account.ts'
import { printTable } from './table.ts'

const CALLERS = 64
const TOTAL = Number(process.env.SCALE_BENCH_COMMANDS ?? 30_000)

async function commandRate(name: string, store: EventStore) {
  const handler = new CommandHandler(store)
  const streams = Array.from({ length: CALLERS }, (_, i) => ({ type: 'account', id: `${name}-${i}` }))
  await Promise.all(streams.map((s) => handler.handle(account, s, { type: 'OpenAccount', owner: 'bench' })))
  const before = store.stats()
  let remaining = TOTAL
  const started = performance.now()
  await Promise.all(
    streams.map(async (stream) => {
      while (remaining-- > 0) await handler.handle(account, stream, { type: 'Deposit', amount: 1 })
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const commits = store.stats().commits - before.commits
  return { engine: name, 'commands/s': TOTAL / seconds, 'commands per commit': TOTAL / commits }
}

async function sqliteRow() {
  const dir = mkdtempSync(join(tmpdir(), 'ironstar-bench-'))
  const db = openDatabase(join(dir, 'scale.sqlite'))
  migrate(db, migrations)
  const store = new SqliteEventStore(db, accountRegistry())
  const row = await commandRate('SQLite, one node', store)
  await store.close()
  db.close()
  rmSync(dir, { recursive: true, force: true })
  return row
}

async function postgresRow(url: string) {
  const schema = `ironstar_bench_${Date.now()}`
  const admin = new SQL(url, { max: 1 })
  await admin.unsafe(`CREATE SCHEMA ${schema}`)
  const sql = new SQL(url, { max: 4, connection: { search_path: schema, synchronous_commit: 'on' } })
  try {
    await migratePostgres(sql, postgresMigrations)
    const [setting] = await sql`SHOW synchronous_commit`
    const store = new PostgresEventStore(sql, accountRegistry(), { channel: schema })
    const row = await commandRate(`PostgreSQL, one node (synchronous_commit=${setting?.synchronous_commit})`, store)
    await store.close()
    return row
  } finally {
    await sql.close()
    await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`)
    await admin.close()
  }
}

const rows = [await sqliteRow()]
const url = process.env.DATABASE_URL
if (url?.startsWith('postgres')) rows.push(await postgresRow(url))
else console.log('PostgreSQL skipped: set DATABASE_URL=postgres://… to measure it beside SQLite.\n')
console.log(
  `${TOTAL.toLocaleString('en-US')} single-event commands, ${CALLERS} concurrent callers, each on its own stream.\n`,
)
printTable(rows)

// Scale-out: acknowledged commands/s through the full pipeline with 64 concurrent callers, each on
// its own stream, and command → every node's ring latency at a paced rate, fully durable on both
// engines: SQLite (WAL, synchronous=FULL, one node) and PostgreSQL (synchronous_commit=on, group
// commit under the append lock) with one and three nodes, in the same run. The PostgreSQL rows need
// DATABASE_URL (postgres://…); without it only SQLite runs.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SQL } from 'bun'
import { openDatabase } from '../src/core/eventsourcing/database.ts'
import { migrate } from '../src/core/eventsourcing/migrations.ts'
import { migratePostgres } from '../src/core/eventsourcing/store/postgres-migrations.ts'
import { SqliteEventStore } from '../src/core/eventsourcing/store/sqlite-event-store.ts'
import { migrations, postgresMigrations } from '../src/migrations.ts'
import { accountRegistry } from '../test/fixtures/account.ts'
import { type BenchNode, commandRate, deliveryLatency, localNode, postgresNode } from './scale-nodes.ts'
import { printTable } from './table.ts'

const CALLERS = 64
const TOTAL = Number(process.env.SCALE_BENCH_COMMANDS ?? 30_000)
const PACED_PER_SECOND = Number(process.env.SCALE_BENCH_PACED ?? 1_000)
const PACED_SECONDS = Number(process.env.SCALE_BENCH_SECONDS ?? 3)

async function measure(engine: string, nodes: readonly BenchNode[]) {
  const rate = await commandRate(engine, nodes, CALLERS, TOTAL)
  const latency = await deliveryLatency(engine, nodes, PACED_PER_SECOND, PACED_SECONDS)
  return { engine, ...rate, ...latency }
}

async function sqliteRow() {
  const dir = mkdtempSync(join(tmpdir(), 'ironstar-bench-'))
  const db = openDatabase(join(dir, 'scale.sqlite'))
  migrate(db, migrations)
  const node = localNode(new SqliteEventStore(db, accountRegistry()))
  try {
    return await measure('SQLite, one node', [node])
  } finally {
    await node.close()
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function postgresRow(url: string, count: number) {
  const schema = `ironstar_bench_${Date.now()}`
  const admin = new SQL(url, { max: 1 })
  await admin.unsafe(`CREATE SCHEMA ${schema}`)
  const nodes: BenchNode[] = []
  try {
    const sql = new SQL(url, { max: 1, connection: { search_path: schema } })
    await migratePostgres(sql, postgresMigrations)
    const [setting] = await sql`SHOW synchronous_commit`
    await sql.close()
    for (let i = 0; i < count; i++) nodes.push(await postgresNode(url, schema))
    const label = `PostgreSQL, ${count === 1 ? 'one node' : `${count} nodes`} (synchronous_commit=${setting?.synchronous_commit})`
    return await measure(label, nodes)
  } finally {
    for (const node of nodes) await node.close()
    await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`)
    await admin.close()
  }
}

const rows = [await sqliteRow()]
const url = process.env.DATABASE_URL
if (url?.startsWith('postgres')) rows.push(await postgresRow(url, 1), await postgresRow(url, 3))
else console.log('PostgreSQL skipped: set DATABASE_URL=postgres://… to measure it beside SQLite.\n')
console.log(
  `${TOTAL.toLocaleString('en-US')} single-event commands, ${CALLERS} concurrent callers, each on its own stream; ` +
    `then ${PACED_PER_SECOND.toLocaleString('en-US')} commands/s for ${PACED_SECONDS} s, sent round robin to the nodes, ` +
    'timed until the last node has each in its ring.\n',
)
printTable(rows)

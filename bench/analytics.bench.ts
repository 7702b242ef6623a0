// Analytics: ingestion into DuckDB (the pipeline's chunked appends against the appender's
// one-call-per-value API as the naive baseline), catch-up from a real SQLite store, and the
// dashboard queries over 1,000,000 events, uncached and cached, all measured in this run.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBTimestampValue } from '@duckdb/node-api'
import { Analytics } from '../src/core/analytics/analytics.ts'
import { BroadcastRing } from '../src/core/eventsourcing/bus.ts'
import { openDatabase } from '../src/core/eventsourcing/database.ts'
import type { StoredEvent } from '../src/core/eventsourcing/events.ts'
import { migrate } from '../src/core/eventsourcing/migrations.ts'
import { SqliteEventStore } from '../src/core/eventsourcing/store/sqlite-event-store.ts'
import { EventRegistry } from '../src/core/eventsourcing/upcast.ts'
import { DASHBOARD_QUERIES, windowStart } from '../src/features/analytics/dashboard-queries.ts'
import { TODO_EVENT_TYPES, todoLifecycle } from '../src/features/analytics/tables.ts'
import { migrations } from '../src/migrations.ts'
import { printTable } from './table.ts'

const TOTAL = 1_000_000
const BATCH = 16_384
/** Events per transaction in the pipeline rows: catch-up's default (`transactionEvents`). */
const TRANSACTION = 262_144
const dir = mkdtempSync(join(tmpdir(), 'ironstar-analytics-bench-'))
const now = Date.now()
const TYPES = ['TodoAdded', 'TodoToggled', 'CounterIncremented', 'ItemMoved', 'TodoDeleted'] as const
const STREAMS = ['todo-list', 'todo-list', 'counter', 'sortable-list', 'todo-list'] as const

/** Synthetic events spread over the last 50 minutes, todo-heavy like the examples. */
function makeEvents(from: number, count: number): StoredEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i
    const kind = n % TYPES.length
    return {
      position: n,
      eventId: `e-${n}`,
      stream: { type: STREAMS[kind] as string, id: `s-${n % 500}` },
      version: Math.floor(n / 500) + 1,
      type: TYPES[kind] as string,
      schemaVersion: 1,
      data: { id: `t-${n % 5000}`, text: `task ${n}`, completed: n % 2 === 0 },
      metadata: { commandId: `c-${Math.floor(n / 2)}` },
      createdAt: new Date(now - 50 * 60_000 + Math.floor((n / TOTAL) * 50 * 60_000)).toISOString(),
    }
  })
}

/** Wall time and process CPU time (every thread: JS and DuckDB's workers), in ms. */
interface Cost {
  wallMs: number
  cpuMs: number
}
const zero = (): Cost => ({ wallMs: 0, cpuMs: 0 })
async function measure(cost: Cost, work: () => Promise<void> | void): Promise<void> {
  const wall = performance.now()
  const cpu = process.cpuUsage()
  await work()
  const used = process.cpuUsage(cpu)
  cost.wallMs += performance.now() - wall
  cost.cpuMs += (used.user + used.system) / 1000
}
const rates = (events: number, cost: Cost) => ({
  'events/s (wall)': Math.round(events / (cost.wallMs / 1000)),
  'events per CPU-second': Math.round(events / (cost.cpuMs / 1000)),
  events,
})

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

// 1. Ingestion straight into DuckDB: the pipeline (all tables, checkpoint, one transaction per batch).
const bus = new BroadcastRing(256)
const emptyStore = { readAll: async () => [], headPosition: async () => 0 } as unknown as SqliteEventStore // catch-up has nothing to read
const analytics = await Analytics.start(emptyStore, bus, {
  path: join(dir, 'bench.duckdb'),
  tables: [todoLifecycle],
  batchSize: BATCH,
})
await analytics.ingestion.ingest(makeEvents(1, 50_000)) // warm-up: JIT and DuckDB allocations
const pipeline = zero()
for (let from = 50_001; from <= TOTAL; from += TRANSACTION) {
  const events = makeEvents(from, Math.min(TRANSACTION, TOTAL - from + 1))
  await measure(pipeline, () => analytics.ingestion.ingest(events))
}

// The same pipeline sending each event value by value (packed: false), on its own database.
const unpacked = await Analytics.start(emptyStore, new BroadcastRing(256), {
  path: join(dir, 'unpacked.duckdb'),
  tables: [todoLifecycle],
  batchSize: BATCH,
  packed: false,
})
await unpacked.ingestion.ingest(makeEvents(1, 50_000))
const unpackedCost = zero()
const unpackedEvents = makeEvents(50_001, 200_000)
await measure(unpackedCost, () => unpacked.ingestion.ingest(unpackedEvents))
await unpacked.close()

// Baseline: the same events through DuckDB's appender one value per call (the documented API).
const naive = await analytics.db.connect()
await naive.run('CREATE TABLE naive_events AS SELECT * FROM events LIMIT 0')
const sample = makeEvents(1, 200_000)
const appender = await naive.createAppender('naive_events')
const naiveCost = zero()
await measure(naiveCost, () => {
  for (const e of sample) {
    appender.appendBigInt(BigInt(e.position))
    appender.appendVarchar(e.stream.type)
    appender.appendVarchar(e.stream.id)
    appender.appendInteger(e.version)
    appender.appendVarchar(e.type)
    appender.appendTimestamp(new DuckDBTimestampValue(BigInt(Date.parse(e.createdAt)) * 1000n))
    appender.appendVarchar(JSON.stringify(e.data))
    appender.appendVarchar(String(e.metadata?.commandId))
    appender.endRow()
  }
  appender.flushSync()
})
appender.closeSync()
naive.closeSync()

// 2. Catch-up from a real SQLite event store (read pages, parse JSON, upcast, ingest).
const registry = new EventRegistry().registerAll(TYPES)
const db = openDatabase(join(dir, 'events.sqlite'))
migrate(db, migrations)
const insert = db.prepare(`INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type,
  schema_version, payload, metadata, created_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)`)
const CATCH_UP = 200_000
db.transaction(() => {
  for (const e of makeEvents(1, CATCH_UP)) {
    insert.run(
      e.eventId,
      e.stream.type,
      `${e.stream.id}-${e.position}`,
      1,
      e.type,
      JSON.stringify(e.data),
      JSON.stringify(e.metadata),
      e.createdAt,
    )
  }
})()
const store = new SqliteEventStore(db, registry)
const catchUp = zero()
let fromStore: Analytics | null = null
await measure(catchUp, async () => {
  fromStore = await Analytics.start(store, new BroadcastRing(256), {
    path: join(dir, 'catch-up.duckdb'),
    tables: [todoLifecycle],
    batchSize: BATCH,
  })
})
await (fromStore as Analytics | null)?.close()
db.close()

printTable([
  {
    path: 'pipeline: packed column chunks → events + derived todo_lifecycle + checkpoint, one committed transaction per 262,144 events, file-backed',
    ...rates(TOTAL - 50_000, pipeline),
  },
  {
    path: 'same pipeline, events sent value by value (packed: false), one 200,000-event transaction',
    ...rates(unpackedEvents.length, unpackedCost),
  },
  {
    path: 'baseline: bare appender into one table, one commit at the end',
    ...rates(sample.length, naiveCost),
  },
  {
    path: 'catch-up from the SQLite store (read 16,384-event pages, parse, ingest; one transaction per 262,144 events)',
    ...rates(CATCH_UP, catchUp),
  },
])

// 3. Dashboard queries over 1,000,000 events (and 1,000,000 command latency samples).
const since = windowStart(now)
const filler = await analytics.db.connect()
await filler.run(
  `INSERT INTO commands SELECT range, CAST($1 AS TIMESTAMP) + to_seconds(range % 3000),
    ['todo-list', 'counter', 'sortable-list'][range % 3 + 1], CASE WHEN range % 50 = 0 THEN 'refused' ELSE 'ok' END,
    random() * 5 FROM range(${TOTAL})`,
  [since],
)
filler.closeSync()
const RUNS = 30
const rows: Record<string, string | number>[] = []
for (const query of DASHBOARD_QUERIES) {
  const uncached: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now()
    await analytics.db.query(query.sql, { params: [since] })
    uncached.push(performance.now() - t)
  }
  analytics.cache.clear()
  await analytics.cachedQuery(query.sql, query.dependsOn, [since])
  const cached: number[] = []
  for (let i = 0; i < RUNS * 10; i++) {
    const t = performance.now()
    await analytics.cachedQuery(query.sql, query.dependsOn, [since])
    cached.push(performance.now() - t)
  }
  uncached.sort((a, b) => a - b)
  cached.sort((a, b) => a - b)
  rows.push({
    query: query.id,
    'uncached p50 ms': percentile(uncached, 0.5),
    'uncached p99 ms': percentile(uncached, 0.99),
    'cached p50 µs': percentile(cached, 0.5) * 1000,
    'cached p99 µs': percentile(cached, 0.99) * 1000,
  })
}
const counts = await analytics.db.query(
  'SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM todo_lifecycle), (SELECT count(*) FROM commands)',
)
const [events, lifecycle, samples] = counts.rows[0] ?? []
console.log(
  `Dashboard queries (${RUNS} uncached runs, ${RUNS * 10} cached): events ${events} rows, todo_lifecycle ${lifecycle} rows (${TODO_EVENT_TYPES.length} todo event types), commands ${samples} samples.\n`,
)
printTable(rows)
await analytics.close()
rmSync(dir, { recursive: true, force: true })

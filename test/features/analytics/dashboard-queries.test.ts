import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { AnalyticsDb } from '../../../src/core/analytics/analytics-db.ts'
import { COMMANDS_TABLE } from '../../../src/core/analytics/command-samples.ts'
import { createTables, EVENTS_TABLE } from '../../../src/core/analytics/event-tables.ts'
import { DASHBOARD_QUERIES, WINDOW_MINUTES, windowStart } from '../../../src/features/analytics/dashboard-queries.ts'
import { todoLifecycle } from '../../../src/features/analytics/tables.ts'

const NOW = Date.parse('2026-03-01T12:30:20Z')
const since = windowStart(NOW)
let db: AnalyticsDb

const query = (id: string) => {
  const found = DASHBOARD_QUERIES.find((q) => q.id === id)
  if (!found) throw new Error(`No dashboard query ${id}`)
  return db.query(found.sql, { params: [since] })
}

beforeAll(async () => {
  db = await AnalyticsDb.open({}, async (writer) => {
    await createTables(writer, [EVENTS_TABLE, COMMANDS_TABLE, todoLifecycle])
    // Latencies 1..1000 ms for one slice, spread through the window; two events in the last minute.
    await writer.run(
      `INSERT INTO commands SELECT range, CAST($1 AS TIMESTAMP) + to_seconds(range), 'todo-list', 'ok', range + 1
       FROM range(1000)`,
      [since],
    )
    await writer.run(
      `INSERT INTO events (position, type, created_at) VALUES
        (1, 'TodoAdded', TIMESTAMP '2026-03-01 12:30:05'), (2, 'TodoAdded', TIMESTAMP '2026-03-01 12:30:15'),
        (3, 'CounterIncremented', TIMESTAMP '2026-03-01 11:00:00')`,
    )
  })
})

afterAll(() => db.close())

describe('dashboard queries', () => {
  it('windowStart() starts the window at a whole minute, 59 minutes before the current one', () => {
    expect(since).toBe('2026-03-01T11:31:00.000Z')
    expect(WINDOW_MINUTES).toBe(60)
  })

  it('events per minute has every minute of the window, zero when quiet, and skips older events', async () => {
    const result = await query('events-per-minute')
    expect(result.rows).toHaveLength(WINDOW_MINUTES)
    expect(result.rows.at(-1)?.slice(1)).toEqual(['TodoAdded', 2])
    expect(result.rows.slice(0, -1).every((row) => row[2] === 0)).toBe(true)
  })

  it('command latency p50 and p99 stay within 3% of the exact quantiles', async () => {
    const result = await query('command-latency')
    const exact = await db.query(
      'SELECT quantile_cont(duration_ms, 0.5), quantile_cont(duration_ms, 0.99) FROM commands',
    )
    const [slice, commands, p50, p99] = result.rows[0] ?? []
    const [exactP50, exactP99] = exact.rows[0] as [number, number]
    expect([slice, commands]).toEqual(['todo-list', 1000])
    expect(Math.abs(Number(p50) / exactP50 - 1)).toBeLessThan(0.03)
    expect(Math.abs(Number(p99) / exactP99 - 1)).toBeLessThan(0.03)
  })
})

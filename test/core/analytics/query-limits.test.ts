import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { AnalyticsDb } from '../../../src/core/analytics/analytics-db.ts'
import { AnalyticsQueryError } from '../../../src/core/analytics/query-errors.ts'

// A cross join big enough to run for minutes: only an interrupt ends it in test time.
const SLOW = 'SELECT count(*) FROM range(1000000000) a, range(1000) b WHERE (a.range + b.range) % 7 = 3'

let db: AnalyticsDb

beforeAll(async () => {
  db = await AnalyticsDb.open({ poolSize: 2, rowLimit: 100 })
})

afterAll(() => db.close())

describe('AnalyticsDb limits', () => {
  it('stops a deliberately slow query at its timeout', async () => {
    const started = performance.now()
    const error = await db.queryUntrusted(SLOW, { timeoutMs: 200 }).catch((e: Error) => e)
    expect(error).toBeInstanceOf(AnalyticsQueryError)
    expect((error as AnalyticsQueryError).reason).toBe('timeout')
    expect((error as Error).message).toBe('Query stopped after 200 ms: the time limit')
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('cancels a running query when its signal aborts, and the connection keeps working', async () => {
    const controller = new AbortController()
    const running = db.queryUntrusted(SLOW, {
      signal: controller.signal,
      onStart: (connection) => {
        expect(typeof connection.progress.percentage).toBe('number')
        setTimeout(() => controller.abort(), 150)
      },
    })
    const error = await running.catch((e: Error) => e)
    expect((error as AnalyticsQueryError).reason).toBe('cancelled')
    expect((error as Error).message).toBe('Query cancelled')
    // Both pool connections still answer after the interrupts.
    const results = await Promise.all([db.query('SELECT 1'), db.query('SELECT 2')])
    expect(results.map((result) => result.rows[0])).toEqual([[1], [2]])
  })

  it('cuts results at the row limit and says so', async () => {
    const result = await db.queryUntrusted('SELECT range AS n FROM range(100000)')
    expect(result.rows).toHaveLength(100)
    expect(result.truncated).toBe(true)
    expect(result.truncatedBy).toBe('rows')
    const small = await db.queryUntrusted('SELECT range AS n FROM range(100)')
    expect(small.truncated).toBe(false)
    expect(small.columns).toEqual([{ name: 'n', type: 'BIGINT', isNumeric: true }])
  })

  it('cuts results at the size limit too: ten 10 MB values come back as none, and say so', async () => {
    const result = await db.queryUntrusted("SELECT repeat('x', 10000000) AS big FROM range(10)")
    expect(result).toMatchObject({ rows: [], truncated: true, truncatedBy: 'bytes', bytes: 0 })
  })

  it('keeps the rows that fit in the size limit, and counts their size', async () => {
    const small = await AnalyticsDb.open({ resultBytes: 1_000_000 })
    try {
      const result = await small.queryUntrusted("SELECT range AS n, repeat('y', 100000) AS v FROM range(50)")
      expect(result.rows).toHaveLength(9)
      expect(result.truncatedBy).toBe('bytes')
      expect(result.bytes).toBeLessThanOrEqual(1_000_000)
      expect(result.bytes).toBeGreaterThan(900_000)
      const whole = await small.queryUntrusted("SELECT repeat('y', 1000) AS v FROM range(50)")
      expect(whole).toMatchObject({ truncated: false, truncatedBy: null })
      expect(whole.rows).toHaveLength(50)
    } finally {
      await small.close()
    }
  })

  it('close() interrupts a running query instead of closing DuckDB under it', async () => {
    const other = await AnalyticsDb.open()
    const running = other.queryUntrusted(SLOW).catch((e: Error) => e)
    await Bun.sleep(100)
    const started = performance.now()
    await other.close()
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(await running).toBeInstanceOf(AnalyticsQueryError)
  })

  it('does not start a query whose signal already aborted', async () => {
    const error = await db.query('SELECT 1', { signal: AbortSignal.abort() }).catch((e: Error) => e)
    expect((error as AnalyticsQueryError).reason).toBe('cancelled')
  })
})

import { afterEach, describe, expect, it } from 'bun:test'
import { AnalyticsDb } from '../../../src/core/analytics/analytics-db.ts'
import { AnalyticsQueryError } from '../../../src/core/analytics/query-errors.ts'

// A cross join big enough to run for minutes: only an interrupt ends it in test time.
const SLOW = 'SELECT count(*) FROM range(1000000000) a, range(1000) b WHERE (a.range + b.range) % 7 = 3'
const LIMIT_MS = 500

const open: AnalyticsDb[] = []

afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

async function openDb(options: Parameters<typeof AnalyticsDb.open>[0]): Promise<AnalyticsDb> {
  const db = await AnalyticsDb.open(options)
  open.push(db)
  return db
}

/** Runs a query and says how it ended and how long after `since` it did. */
async function timed(run: () => Promise<unknown>, since: number): Promise<{ reason: string; ms: number }> {
  const reason = await run().then(
    () => 'completed',
    (error: unknown) => (error instanceof AnalyticsQueryError ? error.reason : String(error)),
  )
  return { reason, ms: performance.now() - since }
}

describe('AnalyticsDb under concurrent slow queries', () => {
  it('stops 16 concurrent long queries at their limit, and answers again within a second', async () => {
    // As many visitor connections as the old shared pool had: more queries than native worker
    // threads, so some statements are still queued when their first interrupt lands.
    const db = await openDb({ poolSize: 4, visitorConnections: 4, timeoutMs: LIMIT_MS })
    const started = performance.now()
    const outcomes = await Promise.all(Array.from({ length: 16 }, () => timed(() => db.queryUntrusted(SLOW), started)))
    expect(outcomes.map((outcome) => outcome.reason)).toEqual(Array(16).fill('timeout'))
    for (const { ms } of outcomes) expect(ms).toBeLessThan(LIMIT_MS + 1_500)
    const after = performance.now()
    expect((await db.queryUntrusted('SELECT 42 AS answer')).rows).toEqual([[42]])
    expect(performance.now() - after).toBeLessThan(1_000)
  }, 20_000)

  it('stays usable when a waiting query gives up while a stopped one’s connection is replaced', async () => {
    const db = await openDb({ visitorConnections: 1 })
    const [first, second] = [new AbortController(), new AbortController()]
    const running = db.queryUntrusted(SLOW, { signal: first.signal }).catch(() => undefined)
    const waiting = db.queryUntrusted(SLOW, { signal: second.signal }).catch(() => undefined)
    await Bun.sleep(100)
    first.abort()
    // The stopped query's connection is discarded and a new one opens for the waiter: give up now.
    await running
    second.abort()
    await waiting
    const asked = performance.now()
    expect((await db.queryUntrusted('SELECT 1 AS one', { timeoutMs: 2_000 })).rows).toEqual([[1]])
    expect(performance.now() - asked).toBeLessThan(1_000)
  }, 20_000)

  it("keeps the server's own queries answering while visitors' slow queries run", async () => {
    const db = await openDb({ timeoutMs: 1_200 })
    const started = performance.now()
    const visitors = Array.from({ length: 8 }, () => timed(() => db.queryUntrusted(SLOW), started))
    await Bun.sleep(200)
    const asked = performance.now()
    expect((await db.query('SELECT 7 AS dashboard')).rows).toEqual([[7]])
    expect(performance.now() - asked).toBeLessThan(500)
    expect((await Promise.all(visitors)).map((outcome) => outcome.reason)).toEqual(Array(8).fill('timeout'))
  }, 20_000)
})

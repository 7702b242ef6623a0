import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { SseConnection } from '../../src/core/testing/sse-client.ts'
import { analytics } from '../../src/features/analytics/index.ts'
import { counter } from '../../src/features/counter/index.ts'
import { monitor } from '../../src/features/monitor/index.ts'
import { sortable } from '../../src/features/sortable/index.ts'
import { todos } from '../../src/features/todo/index.ts'
import { type AppServer, startAppServer } from './app-server.ts'

/** Every feed route of the app. */
const FEEDS = [
  '/todos/feed',
  '/counter/feed',
  '/sortable/feed',
  '/monitor/feed',
  '/analytics/feed',
  '/analytics/explore/feed',
] as const

let app: AppServer
let base: string
const open: SseConnection[] = []

beforeAll(async () => {
  app = await startAppServer([todos, counter, sortable, monitor, analytics])
  base = app.server.url.origin
})

afterAll(async () => {
  for (const connection of open) connection.close()
  await app.close()
})

const counters = () => app.server.app.feeds.counters()
/** Session rows once the store's write queue (flushed every 50 ms) has been written. */
async function sessionRows(): Promise<number> {
  await Bun.sleep(150)
  return (app.server.app.db.query('SELECT count(*) AS n FROM sessions').get() as { n: number }).n
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Condition not met in time: ${JSON.stringify(counters())}`)
    await Bun.sleep(20)
  }
}

/** Runs `count` requests, `concurrency` at a time. */
async function inBatches<T>(count: number, concurrency: number, request: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = []
  for (let i = 0; i < count; i += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - i) }, (_, j) => request(i + j))
    results.push(...(await Promise.all(batch)))
  }
  return results
}

async function feed(path: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const connection = await SseConnection.open(base + path, { headers })
  open.push(connection)
  return connection
}

/** A session cookie, as a browser gets it from its first page. */
async function sessionCookie(): Promise<string> {
  const response = await fetch(`${base}/todos`)
  await response.text()
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
}

function rssMiB(): number {
  Bun.gc(true)
  return process.memoryUsage().rss / 1024 / 1024
}

describe('feeds through the real server', () => {
  it('answers thousands of HEADs on every feed like a GET, opening no feed or hub', async () => {
    const rssBefore = rssMiB()
    for (const path of FEEDS) {
      const heads = await inBatches(1_000, 50, () => fetch(base + path, { method: 'HEAD' }))
      for (const head of new Set(heads.map((r) => `${r.status} ${r.headers.get('content-type')}`))) {
        expect(`${path} ${head}`).toBe(`${path} 200 text/event-stream`)
      }
    }
    expect(counters()).toMatchObject({ connections: 0, compressed: 0, hubs: 0, opened: 0 })
    expect(rssMiB() - rssBefore).toBeLessThan(64)

    for (const path of FEEDS) {
      const head = await fetch(base + path, { method: 'HEAD', headers: { 'Accept-Encoding': 'gzip' } })
      const get = await feed(path, { 'Accept-Encoding': 'gzip' })
      expect(get.response.status).toBe(200)
      for (const name of ['content-type', 'content-encoding', 'cache-control', 'vary', 'x-accel-buffering']) {
        expect(`${path} ${name}: ${head.headers.get(name)}`).toBe(`${path} ${name}: ${get.response.headers.get(name)}`)
      }
      expect((await get.next())?.event).toBe('datastar-patch-elements')
      get.close()
    }
    await waitUntil(() => counters().connections === 0 && counters().hubs === 0)
  }, 60_000)

  it('creates no session for a cookieless HEAD on a feed', async () => {
    const before = await sessionRows()
    // Not the explore feed: its route reads the session before it asks for the feed.
    for (const path of FEEDS.filter((path) => path !== '/analytics/explore/feed')) {
      const heads = await inBatches(200, 50, () => fetch(base + path, { method: 'HEAD' }))
      expect(heads.filter((head) => head.headers.has('set-cookie'))).toHaveLength(0)
    }
    expect(await sessionRows()).toBe(before)
  })

  it('releases every feed whose client leaves before, while or after it starts', async () => {
    const cookie = await sessionCookie()
    for (const path of FEEDS) {
      await inBatches(300, 30, async (i) => {
        const controller = new AbortController()
        // Cookieless and with a session; gone before the handler runs, during the join, after the first bytes.
        const headers: Record<string, string> = i % 2 === 0 ? {} : { Cookie: cookie }
        setTimeout(() => controller.abort(), i % 20)
        try {
          const response = await fetch(base + path, { headers, signal: controller.signal })
          await response.body?.getReader().read()
        } catch {
          // Aborted: that is the point.
        }
      })
    }
    await waitUntil(() => counters().connections === 0 && counters().hubs === 0 && counters().compressed === 0)
    const after = await feed('/sortable/feed')
    expect((await after.next())?.event).toBe('datastar-patch-elements')
    after.close()
    await waitUntil(() => counters().connections === 0)
  }, 60_000)

  it('bounds the feeds of one session: past the bound a 429 with Retry-After, other sessions unaffected', async () => {
    const { maxPerSession } = app.server.app.feeds.limits
    const cookie = await sessionCookie()
    const mine = await Promise.all(
      Array.from({ length: maxPerSession }, (_, i) => feed(FEEDS[i % 4] as string, { Cookie: cookie })),
    )
    expect(mine.map((connection) => connection.response.status)).toEqual(mine.map(() => 200))
    for (const method of ['GET', 'HEAD']) {
      const refused = await fetch(`${base}/sortable/feed`, { method, headers: { Cookie: cookie } })
      expect(refused.status).toBe(429)
      expect(refused.headers.get('retry-after')).toBe('5')
      if (method === 'GET') expect(await refused.text()).toContain(`this session has ${maxPerSession} feeds open`)
    }
    const monitorRefused = await fetch(`${base}/monitor/feed`, { headers: { Cookie: cookie } })
    expect(monitorRefused.status).toBe(429)
    await monitorRefused.text()

    const other = await feed('/sortable/feed', { Cookie: await sessionCookie() })
    expect(other.response.status).toBe(200)
    const cookieless = await feed('/sortable/feed')
    expect(cookieless.response.status).toBe(200)

    mine[0]?.close()
    await waitUntil(() => counters().connections === maxPerSession + 1)
    const again = await feed('/sortable/feed', { Cookie: cookie })
    expect(again.response.status).toBe(200)
    for (const connection of [...mine, other, cookieless, again]) connection.close()
    await waitUntil(() => counters().connections === 0)
  })

  it('counts monitor feeds with the other feeds, compressed ones against the compression bound', async () => {
    const monitorFeed = await feed('/monitor/feed', { 'Accept-Encoding': 'gzip' })
    expect(monitorFeed.response.headers.get('content-encoding')).toBe('gzip')
    expect((await monitorFeed.next())?.data).toContain('monitor-tiles')
    expect(counters()).toMatchObject({ connections: 1, compressed: 1 })
    monitorFeed.close()
    await waitUntil(() => counters().connections === 0 && counters().compressed === 0)
  })
})

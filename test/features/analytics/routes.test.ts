import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { analytics } from '../../../src/features/analytics/index.ts'
import { todos } from '../../../src/features/todo/index.ts'
import { type AppServer, type Client, startAppServer } from '../app-server.ts'

const SLOW = 'SELECT count(*) FROM range(1000000000) a, range(1000) b WHERE (a.range + b.range) % 7 = 3'

let app: AppServer
let client: Client

beforeAll(async () => {
  app = await startAppServer([todos, analytics])
  client = app.client()
})

afterAll(async () => {
  await app.close()
})

async function eventsOf(queryId: string): Promise<string[]> {
  const events = await app.server.app.store.readStream({ type: 'query-session', id: queryId })
  return events.map((event) => event.type)
}

async function until<T>(probe: () => Promise<T | undefined>, ms = 5_000): Promise<T> {
  const deadline = performance.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error('Condition not met in time')
    await Bun.sleep(25)
  }
}

async function run(sql: string): Promise<string> {
  const response = await client.post('/analytics/explore', { sql })
  expect(response.status).toBe(303)
  const location = response.headers.get('location') ?? ''
  expect(location).toStartWith('/analytics/explore?q=')
  return new URL(location, 'http://x').searchParams.get('q') as string
}

describe('/analytics', () => {
  it('renders every dashboard chart with its data as a table', async () => {
    await client.post('/todos', { text: 'Chart me' })
    const response = await client.get('/analytics')
    expect(response.status).toBe(200)
    const page = await response.text()
    for (const title of ['Events per minute by type', 'Commands per slice', 'Todos added and completed per minute']) {
      expect(page).toContain(title)
    }
    expect(page).toContain('<table class="table analytics-table">')
    expect(page).toContain('data-init="@get(')
    // Rendered at the log's head: the todo just added is in the table, and so is its command.
    expect(page).toContain('<td class="">TodoAdded</td>')
    expect(page).toContain('<td class="">todo-list</td>')
  })

  it('reports ingestion and cache figures on /metrics', async () => {
    await client.get('/analytics')
    const text = await (await client.get('/metrics')).text()
    const position = Number(/^ironstar_analytics_position (\d+)$/m.exec(text)?.[1])
    expect(position).toBeGreaterThan(0)
    expect(position).toBeLessThanOrEqual(await app.head())
    expect(text).toMatch(/^ironstar_analytics_cache_lookups_total\{result="miss"\} [1-9]/m)
  })

  it('streams the dashboard region through its feed', async () => {
    const events = await client.feed('/analytics/feed', 400)
    expect(events.length).toBeGreaterThan(0)
    expect(events[0]?.data).toContain('id="analytics-dashboard"')
  })
})

describe('/analytics/explore', () => {
  it('runs a query session in the background and shows its rows', async () => {
    const queryId = await run('SELECT 6 * 7 AS answer')
    await until(async () => ((await eventsOf(queryId)).includes('QueryCompleted') ? true : undefined))
    expect(await eventsOf(queryId)).toEqual(['QueryRequested', 'QueryCompleted'])
    const page = await (await client.get(`/analytics/explore?q=${queryId}`)).text()
    expect(page).toContain('<th scope="col" title="INTEGER">answer</th>')
    expect(page).toContain('<td class="is-numeric">42</td>')
    expect(page).toContain('1 row in')
  })

  it('shows the same result as a chart with the table inside it', async () => {
    const queryId = await run('SELECT range AS x, range * range AS y FROM range(5)')
    await until(async () => ((await eventsOf(queryId)).includes('QueryCompleted') ? true : undefined))
    const page = await (await client.get(`/analytics/explore?q=${queryId}&view=chart`)).text()
    expect(page).toContain('<ironstar-chart id="result-chart-')
    expect(page).toContain('data-ignore-morph')
    expect(page).toContain('<td class="is-numeric">16</td>')
  })

  it('refuses a write with a message next to the field and writes nothing', async () => {
    const head = await app.head()
    const response = await client.post('/analytics/explore', { sql: 'DROP TABLE events' })
    expect(response.status).toBe(422)
    const page = await response.text()
    expect(page).toContain('Cannot run query: DROP statements are not allowed')
    expect(page).toContain('aria-invalid="true"')
    expect(await app.head()).toBe(head)
  })

  it("records a failure with DuckDB's message", async () => {
    const queryId = await run("SELECT * FROM read_csv('/etc/passwd')")
    await until(async () => ((await eventsOf(queryId)).includes('QueryFailed') ? true : undefined))
    const page = await (await client.get(`/analytics/explore?q=${queryId}`)).text()
    expect(page).toContain('Cannot open &quot;/etc/passwd&quot;: queries may only read the sample files')
  })

  it('cancels a slow query: QueryCancelled, and the page says so', async () => {
    const queryId = await run(SLOW)
    const running = await (await client.get(`/analytics/explore?q=${queryId}`)).text()
    expect(running).toContain('Running')
    expect(running).toContain(`/analytics/explore/${queryId}/cancel`)
    const progress = await client.get(`/analytics/explore/${queryId}/progress`)
    expect(progress.status).toBe(200)
    const box = await progress.text()
    expect(box).toStartWith(`<div id="progress-${queryId}"`)
    expect(box).toContain('data-on-interval__duration.500ms=')
    expect(box).toContain('Running for')
    const response = await client.post(`/analytics/explore/${queryId}/cancel`)
    expect(response.status).toBe(303)
    expect(await eventsOf(queryId)).toEqual(['QueryRequested', 'QueryCancelled'])
    // The interrupted query's own outcome arrives later and changes nothing.
    await Bun.sleep(200)
    expect(await eventsOf(queryId)).toEqual(['QueryRequested', 'QueryCancelled'])
    const page = await (await client.get(`/analytics/explore?q=${queryId}`)).text()
    expect(page).toContain('Cancelled.')
  })

  it('answers 404 when cancelling a query of another session', async () => {
    const queryId = await run('SELECT 1')
    const stranger = app.client()
    await stranger.get('/analytics/explore')
    const response = await stranger.post(`/analytics/explore/${queryId}/cancel`)
    expect(response.status).toBe(404)
    expect((await stranger.get(`/analytics/explore/${queryId}/progress`)).status).toBe(404)
  })

  it('keeps a history per session', async () => {
    const other = app.client()
    await other.get('/analytics/explore')
    const page = await (await other.get('/analytics/explore')).text()
    expect(page).toContain('No queries yet')
    const mine = await (await client.get('/analytics/explore')).text()
    expect(mine).toContain('SELECT 6 * 7 AS answer')
  })

  it('pushes the finished query to the session feed', async () => {
    const feed = client.feed('/analytics/explore/feed', 1_500)
    await Bun.sleep(100)
    await run('SELECT 99 AS pushed')
    const events = await feed
    expect(events.some((event) => event.data.includes('99'))).toBe(true)
  })
})

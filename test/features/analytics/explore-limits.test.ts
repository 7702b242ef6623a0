import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { analytics } from '../../../src/features/analytics/index.ts'
import { MAX_RUNNING } from '../../../src/features/analytics/runner.ts'
import { todos } from '../../../src/features/todo/index.ts'
import { type AppServer, type Client, startAppServer } from '../app-server.ts'

const SLOW = 'SELECT count(*) FROM range(1000000000) a, range(1000) b WHERE (a.range + b.range) % 7 = 3'

let app: AppServer

beforeAll(async () => {
  app = await startAppServer([todos, analytics])
})

afterAll(() => app.close())

async function eventTypes(type: string): Promise<string[]> {
  const events = await app.server.app.store.readAll()
  return events.filter((event) => event.type === type).map((event) => event.stream.id)
}

async function finished(queryId: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const events = await app.server.app.store.readStream({ type: 'query-session', id: queryId })
    if (events.length > 1) return
    await Bun.sleep(25)
  }
  throw new Error(`Query ${queryId} did not finish`)
}

async function run(client: Client, sql: string): Promise<string> {
  const response = await client.post('/analytics/explore', { sql })
  expect(response.status).toBe(303)
  const queryId = new URL(response.headers.get('location') ?? '', 'http://x').searchParams.get('q') as string
  await finished(queryId)
  return queryId
}

async function page(client: Client, queryId: string): Promise<string> {
  return (await client.get(`/analytics/explore?q=${queryId}`)).text()
}

describe('/analytics/explore under load and with large results', () => {
  it('refuses with 503 past capacity before recording anything', async () => {
    const client = app.client()
    await client.get('/analytics/explore')
    const before = (await eventTypes('QueryRequested')).length
    const responses = await Promise.all(
      Array.from({ length: 40 }, () => client.post('/analytics/explore', { sql: SLOW })),
    )
    const statuses = responses.map((response) => response.status)
    const accepted = responses.filter((response) => response.status === 303)
    expect(accepted.length).toBeGreaterThan(0)
    expect(accepted.length).toBeLessThanOrEqual(MAX_RUNNING)
    expect(statuses.filter((status) => status === 503)).toHaveLength(40 - accepted.length)
    const requested = await eventTypes('QueryRequested')
    expect(requested.length - before).toBe(accepted.length)
    for (const response of accepted) {
      const queryId = new URL(response.headers.get('location') ?? '', 'http://x').searchParams.get('q') as string
      expect((await client.post(`/analytics/explore/${queryId}/cancel`)).status).toBe(303)
    }
  }, 20_000)

  it('cuts ten 10 MB values at the size limit and keeps the page small', async () => {
    const client = app.client()
    const queryId = await run(client, "SELECT repeat('x', 10000000) AS big FROM range(10)")
    const html = await page(client, queryId)
    expect(html).toContain('The result was cut at the size limit after 0 rows.')
    expect(html.length).toBeLessThan(200_000)
  }, 20_000)

  it('renders a result at the size limit in a page of bounded size', async () => {
    const client = app.client()
    const queryId = await run(client, "SELECT range AS n, repeat('<', 100000) AS v FROM range(40)")
    const html = await page(client, queryId)
    expect(html).toContain('40 rows in')
    expect(html).toContain(`${'&lt;'.repeat(200)}…`)
    expect(html.length).toBeLessThan(1_000_000)
    const chart = await (await client.get(`/analytics/explore?q=${queryId}&view=chart`)).text()
    expect(chart.length).toBeLessThan(1_000_000)
  }, 20_000)

  it('keeps results in memory within a byte budget, not a count', async () => {
    const client = app.client()
    const first = await run(client, "SELECT repeat('z', 4000000) AS v")
    expect(await page(client, first)).not.toContain('no longer in memory')
    for (let i = 0; i < 8; i++) await run(client, `SELECT repeat('z', 4000000) AS v, ${i} AS i`)
    expect(await page(client, first)).toContain('The rows are no longer in memory')
  }, 30_000)
})

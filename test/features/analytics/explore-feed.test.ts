import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import type { SseConnection } from '../../../src/core/testing/sse-client.ts'
import { parseElementsPatch } from '../../../src/core/testing/sse-client.ts'
import { analytics } from '../../../src/features/analytics/index.ts'
import { type AppServer, type Client, startAppServer } from '../app-server.ts'

let app: AppServer
beforeAll(async () => {
  app = await startAppServer([analytics])
})
afterAll(() => app.close())

/** Runs a query the plain-form way and returns its id. */
async function run(client: Client, sql: string): Promise<string> {
  const response = await client.post('/analytics/explore', { sql })
  expect(response.status).toBe(303)
  return new URL(response.headers.get('location') ?? '', 'http://x').searchParams.get('q') ?? ''
}

/** The feed URL a page opens, read from its `data-init`. */
async function feedOf(client: Client, path: string): Promise<string> {
  const page = await (await client.get(path)).text()
  const init = /data-init="@get\(([^)]*)\)"/.exec(page)?.[1] ?? ''
  return JSON.parse(init.replaceAll('&quot;', '"').replaceAll('&amp;', '&')) as string
}

/** The Result pane of the next region the feed sends that satisfies `done`, or null after a few seconds. */
async function nextResult(feed: SseConnection, done: (pane: string) => boolean): Promise<string | null> {
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline) {
    const event = await feed.next(deadline - Date.now())
    if (!event) return null
    if (event.event !== 'datastar-patch-elements') continue
    const region = parseElementsPatch(event).elements
    const pane = /<section class="card analytics-result"[\s\S]*?<\/section>/.exec(region)?.[0] ?? ''
    if (done(pane)) return pane
  }
  return null
}

describe('Explore after a history exists', () => {
  for (const [label, path] of [
    ['a reload', '/analytics/explore'],
    ['the Chart tab', 'chart'],
    ['an older history entry', 'older'],
  ] as const) {
    it(`shows the query just run after ${label}`, async () => {
      const client = app.client()
      await client.get('/analytics/explore')
      const a = await run(client, 'SELECT 101 AS a')
      const b = await run(client, 'SELECT 202 AS b')
      const target =
        path === 'chart'
          ? `/analytics/explore?q=${b}&view=chart`
          : path === 'older'
            ? `/analytics/explore?q=${a}`
            : path
      const feed = await client.open(await feedOf(client, target))
      try {
        const response = await client.post('/analytics/explore', { sql: 'SELECT 303 AS c' }, { datastar: true })
        expect(response.status).toBe(200)
        const pane = await nextResult(feed, (html) => html.includes('SELECT 303 AS c') && html.includes('completed'))
        expect(pane).not.toBeNull()
      } finally {
        feed.close()
      }
    })
  }

  it('keeps showing an older entry while no newer query runs', async () => {
    const client = app.client()
    await client.get('/analytics/explore')
    const a = await run(client, 'SELECT 404 AS a')
    await run(client, 'SELECT 505 AS b')
    const feed = await client.open(await feedOf(client, `/analytics/explore?q=${a}`))
    try {
      const pane = await nextResult(feed, (html) => html.includes('SELECT'))
      expect(pane).toContain('SELECT 404 AS a')
    } finally {
      feed.close()
    }
  })
})

describe('Explore field errors', () => {
  it('clears the message of a refused run once a later run is accepted', async () => {
    const client = app.client()
    await client.get('/analytics/explore')
    const refused = await client.post('/analytics/explore', { sql: 'DROP TABLE events' }, { datastar: true })
    expect(refused.headers.get('ironstar-status')).toBe('422')
    expect(await refused.text()).toContain('id="sql-error"')

    const accepted = await client.post('/analytics/explore', { sql: 'SELECT 606 AS fine' }, { datastar: true })
    expect(accepted.status).toBe(200)
    const editor = await accepted.text()
    expect(editor).toStartWith('<form id="analytics-editor"')
    expect(editor).toContain('SELECT 606 AS fine</textarea>')
    expect(editor).not.toContain('sql-error')
    expect(editor).not.toContain('aria-invalid')
    // Let the query finish before the server stops.
    const deadline = Date.now() + 5_000
    while (!(await (await client.get('/analytics/explore')).text()).includes('>606</td>') && Date.now() < deadline) {
      await Bun.sleep(25)
    }
  })
})

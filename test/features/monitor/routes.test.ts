import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { monitor } from '../../../src/features/monitor/index.ts'
import { type AppServer, startAppServer } from '../app-server.ts'

let app: AppServer
beforeAll(async () => {
  app = await startAppServer([monitor])
})
afterAll(() => app.close())

describe('monitor routes', () => {
  it('GET /monitor renders the tiles from a first sample', async () => {
    const response = await app.client().get('/monitor')
    expect(response.status).toBe(200)
    const page = await response.text()
    expect(page).toContain('id="monitor-tiles"')
    expect(page).toContain('Memory (RSS)')
    expect(page).toContain('SSE connections')
  })

  it('GET /monitor/feed sends the tiles at once and again every second, counting itself as a connection', async () => {
    const events = await app.client().feed('/monitor/feed', 1_300)
    expect(events.length).toBeGreaterThanOrEqual(2)
    expect(events[0]?.data).toContain('elements <div id="monitor-tiles"')
    expect(events.at(-1)?.data).toMatch(/SSE connections<\/h2>\nelements\s*<p class="monitor-tile__value">1</)
  })
})

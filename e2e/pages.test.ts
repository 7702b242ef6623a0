import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { E2E_TIMEOUT_MS, type Harness, hasDatastar, openPage, startHarness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

const EXAMPLES = [
  { path: '/todos', feed: '/todos/feed' },
  { path: '/counter', feed: '/counter/feed' },
  { path: '/sortable', feed: '/sortable/feed' },
  { path: '/monitor', feed: '/monitor/feed' },
] as const

describe('every example page', () => {
  for (const { path, feed } of EXAMPLES) {
    it(
      `${path} loads with JavaScript off without console errors or failed requests`,
      async () => {
        const { page, problems } = await openPage(await h.newSession({ javaScriptEnabled: false }), path)
        expect(await page.locator('main h1').count()).toBe(1)
        expect(problems.consoleErrors).toEqual([])
        expect(problems.failedRequests).toEqual([])
        await page.close()
      },
      E2E_TIMEOUT_MS,
    )

    it.skipIf(!hasDatastar)(
      `${path} opens its feed with Datastar without console errors or failed requests`,
      async () => {
        const { page, problems } = await openPage(await h.newSession(), path, { feed })
        await page.waitForLoadState('load')
        expect(problems.consoleErrors).toEqual([])
        expect(problems.failedRequests).toEqual([])
        await page.close()
      },
      E2E_TIMEOUT_MS,
    )
  }
})

describe.skipIf(!hasDatastar)('monitor with Datastar', () => {
  it(
    'refreshes its tiles every second, counting its own feed',
    async () => {
      const { page, problems } = await openPage(await h.newSession(), '/monitor', { feed: '/monitor/feed' })
      const uptime = page.locator('#monitor-uptime .monitor-tile__value')
      const first = await uptime.textContent()
      await page.waitForFunction(
        (before) => document.querySelector('#monitor-uptime .monitor-tile__value')?.textContent !== before,
        first,
        {
          timeout: 2_500,
        },
      )
      expect(Number(await page.locator('#monitor-sse .monitor-tile__value').textContent())).toBeGreaterThanOrEqual(1)
      expect(await page.locator('#monitor-memory polyline').count()).toBe(1)
      expect(problems.consoleErrors).toEqual([])
      expect(problems.failedRequests).toEqual([])
    },
    E2E_TIMEOUT_MS,
  )
})

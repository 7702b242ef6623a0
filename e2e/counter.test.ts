import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { E2E_TIMEOUT_MS, type Harness, hasDatastar, openPage, startHarness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

const LIVE_MS = 1_000
const counterValue = (id: string) => `#${id} output`

describe('counter with JavaScript off', () => {
  it(
    'increments the global and the session counter through plain forms',
    async () => {
      const context = await h.newSession({ javaScriptEnabled: false })
      const { page, problems } = await openPage(context, '/counter')
      const global = Number(await page.locator(counterValue('counter-global')).textContent())
      await page.locator('#counter-global button').click()
      await page.locator('#counter-session button').click()
      await page.locator('#counter-session button').click()
      expect(Number(await page.locator(counterValue('counter-global')).textContent())).toBe(global + 1)
      expect(await page.locator(counterValue('counter-session')).textContent()).toBe('2')
      expect(page.url()).toEndWith('/counter')
      expect(problems.consoleErrors).toEqual([])
      expect(problems.failedRequests).toEqual([])
    },
    E2E_TIMEOUT_MS,
  )
})

describe.skipIf(!hasDatastar)('counter with Datastar', () => {
  it(
    'shows the global counter live across two sessions and the session counter only in its own',
    async () => {
      const [first, second] = [await h.newSession(), await h.newSession()]
      const a = await openPage(first, '/counter', { feed: '/counter/feed' })
      const b = await openPage(second, '/counter', { feed: '/counter/feed' })
      const start = Number(await b.page.locator(counterValue('counter-global')).textContent())

      await a.page.locator('#counter-global button').click()
      await b.page.locator(counterValue('counter-global'), { hasText: String(start + 1) }).waitFor({ timeout: LIVE_MS })

      await a.page.locator('#counter-session button').click()
      await a.page.locator(counterValue('counter-session'), { hasText: '1' }).waitFor({ timeout: LIVE_MS })
      // A second tab of the first session follows its session counter; the other session does not.
      const a2 = await openPage(first, '/counter', { feed: '/counter/feed' })
      await a.page.locator('#counter-session button').click()
      await a2.page.locator(counterValue('counter-session'), { hasText: '2' }).waitFor({ timeout: LIVE_MS })
      expect(await b.page.locator(counterValue('counter-session')).textContent()).toBe('0')

      for (const { problems } of [a, a2, b]) {
        expect(problems.consoleErrors).toEqual([])
        expect(problems.failedRequests).toEqual([])
      }
    },
    E2E_TIMEOUT_MS,
  )
})

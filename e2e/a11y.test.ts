import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import type { BrowserContext, Page } from 'playwright-core'
import { refuseScripts, seriousViolations } from './axe.ts'
import { E2E_TIMEOUT_MS, type Harness, hasDatastar, SITE_PAGES, startHarness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

const MODES = [
  { name: 'JavaScript off', isLive: false },
  { name: 'Datastar on', isLive: true },
] as const

const THEMES = ['light', 'dark'] as const

async function post(context: BrowserContext, path: string, form: Record<string, string> = {}): Promise<string> {
  const response = await context.request.post(path, { form, maxRedirects: 0 })
  expect(response.status()).toBe(303)
  return response.headers().location ?? ''
}

/**
 * Gives the session something on every page, through the same forms a visitor uses: todos
 * with one done, a counted click, and two queries (one failed, one with rows), so badges,
 * alerts, tables and charts are all on screen when axe looks.
 */
async function seed(context: BrowserContext): Promise<void> {
  for (const text of ['Read the guide', 'Add a slice', 'Ship it']) await post(context, '/todos', { text })
  const todos = await (await context.request.get('/todos')).text()
  const firstToggle = todos.match(/action="(\/todos\/[^"/]+\/toggle)"/)?.[1]
  if (!firstToggle) throw new Error('No todo to toggle on /todos')
  await post(context, firstToggle)
  await post(context, '/counter/global/increment')
  // Passes the check before it is recorded, then fails in DuckDB: a failed entry in the history.
  await post(context, '/analytics/explore', { sql: "SELECT * FROM read_csv('/etc/passwd')" })
  await post(context, '/analytics/explore', { sql: 'SELECT type, count(*) AS events FROM events GROUP BY type' })
  for (let i = 0; i < 50; i++) {
    if (!(await (await context.request.get('/analytics/explore')).text()).includes('>running<')) return
    await Bun.sleep(100)
  }
  throw new Error('The seeded queries did not finish')
}

/** Goes to a page; live, waits for its feed and for every chart to be drawn. */
async function visit(page: Page, path: string, isLive: boolean): Promise<void> {
  const feed = page.waitForResponse((response) => new URL(response.url()).pathname.endsWith('/feed'), {
    timeout: 5_000,
  })
  feed.catch(() => {})
  await page.goto(path)
  if (isLive && (await page.locator('[data-init]').count()) > 0) {
    await feed
    await page.waitForFunction(
      () => [...document.querySelectorAll('ironstar-chart')].every((chart) => chart.querySelector('.uplot')),
      undefined,
      { timeout: 5_000 },
    )
  }
}

for (const { name, isLive } of MODES) {
  describe.skipIf(isLive && !hasDatastar)(`accessibility with ${name}`, () => {
    for (const theme of THEMES) {
      describe(`${theme} theme`, () => {
        let context: BrowserContext
        beforeAll(async () => {
          context = await h.newSession({ theme })
          if (!isLive) await refuseScripts(context)
          await seed(context)
        })

        for (const path of SITE_PAGES) {
          it(
            `${path} has no serious or critical axe violations`,
            async () => {
              const page = await context.newPage()
              // Closed even when the check fails: open feeds count against the browser's 6 connections per host.
              try {
                await visit(page, path, isLive)
                expect(await page.locator('html').getAttribute('data-theme')).toBe(theme)
                expect(await seriousViolations(page)).toEqual([])
              } finally {
                await page.close()
              }
            },
            E2E_TIMEOUT_MS,
          )
        }
      })
    }
  })
}

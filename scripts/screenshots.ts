/**
 * Screenshots of the landing page and every example page into docs/images/ for the README, taken with the system
 * Chromium through playwright-core against a throwaway server seeded through the UI itself.
 *
 *   bun run screenshots [--chromium /usr/bin/chromium] [--only landing,todos,counter,sortable,monitor,analytics]
 *
 * With the vendored Datastar client present the pages are live (the monitor fills its
 * sparklines); without it they are still rendered, as a visitor with JavaScript off sees them.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { BrowserContext, Page } from 'playwright-core'
import { type Harness, hasDatastar, startHarness } from '../e2e/harness.ts'

const { values } = parseArgs({
  options: { chromium: { type: 'string' }, only: { type: 'string' } },
})
if (values.chromium) process.env.CHROMIUM_PATH = values.chromium
const only = values.only ? new Set(values.only.split(',')) : null
const OUT = join(import.meta.dir, '../docs/images')

async function shoot(page: Page, file: string): Promise<void> {
  // Let toasts and the feed's first morph settle so the picture shows the steady state.
  await page.waitForTimeout(400)
  const path = join(OUT, file)
  await page.screenshot({ path, fullPage: true })
  console.log(`Wrote ${path}`)
}

async function addTodos(page: Page, texts: readonly string[]): Promise<void> {
  for (const text of texts) {
    await page.fill('#todo-new-text', text)
    await page.press('#todo-new-text', 'Enter')
    await page.locator('.todo-item .todo-text', { hasText: text }).waitFor()
  }
}

const SHOTS: Record<string, (h: Harness, context: (dark?: boolean) => Promise<BrowserContext>) => Promise<void>> = {
  async landing(h) {
    for (const [file, width, colorScheme] of [
      ['landing-light.png', 1440, 'light'],
      ['landing-dark.png', 1440, 'dark'],
      ['landing-mobile.png', 375, 'light'],
    ] as const) {
      const page = await h.browser.newPage({ baseURL: h.baseUrl, viewport: { width, height: 900 }, colorScheme })
      await page.goto('/', { waitUntil: 'networkidle' })
      await shoot(page, file)
      await page.close()
    }
  },
  async todos(_h, context) {
    const page = await (await context()).newPage()
    await page.goto('/todos')
    await addTodos(page, [
      'Model the events of a feature',
      'Write its decider test first',
      'Open this page in two tabs',
      'Ship one binary to the VPS',
    ])
    await page.locator('.todo-item .todo-toggle').nth(0).click()
    await page.locator('.todo-item.is-completed').waitFor()
    await page.locator('.todo-item .todo-toggle').nth(1).click()
    await page.locator('.todo-item.is-completed').nth(1).waitFor()
    await shoot(page, 'todos-light.png')
    const dark = await (await context(true)).newPage()
    await dark.goto('/todos')
    await addTodos(dark, ['Try the dark theme', 'Edit me with a double click'])
    await shoot(dark, 'todos-dark.png')
  },
  async counter(_h, context) {
    const page = await (await context()).newPage()
    await page.goto('/counter')
    for (let i = 0; i < 42; i++) await page.locator('#counter-global button').click()
    for (let i = 0; i < 7; i++) await page.locator('#counter-session button').click()
    await page.locator('#counter-session output', { hasText: '7' }).waitFor()
    await shoot(page, 'counter.png')
  },
  async sortable(_h, context) {
    const page = await (await context()).newPage()
    await page.goto('/sortable')
    await page.locator('#item-ship button[aria-label$="up"]').click()
    await page.waitForFunction(() => document.querySelector('#sortable-items > li:nth-child(4)')?.id === 'item-ship')
    await page.mouse.move(0, 0)
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    await shoot(page, 'sortable.png')
  },
  async monitor(h, context) {
    const page = await (await context()).newPage()
    await page.goto('/monitor')
    // Waves of traffic for the events-per-second sparkline while most of the minute fills in.
    const started = Date.now()
    const until = started + (hasDatastar ? 40_000 : 0)
    while (Date.now() < until) {
      const burst = Math.round(6 + 5 * Math.sin((Date.now() - started) / 4_000))
      await Promise.all(
        Array.from({ length: burst }, () => fetch(new URL('/counter/global/increment', h.baseUrl), { method: 'POST' })),
      )
      await Bun.sleep(100)
    }
    await shoot(page, 'monitor.png')
  },
  async analytics(_h, context) {
    const page = await (await context()).newPage()
    await page.goto('/analytics')
    // The dashboard reads what the earlier shots wrote; with Datastar the charts draw on canvas.
    await page
      .locator(hasDatastar ? '#analytics-dashboard canvas' : '#analytics-dashboard table')
      .first()
      .waitFor()
    await page.waitForTimeout(800)
    await shoot(page, 'analytics.png')
    await page.goto('/analytics/explore')
    await page.locator('#analytics-editor button[type=submit]').click()
    await page.locator('.analytics-result td').first().waitFor({ timeout: 10_000 })
    const chartTab = page.locator('.analytics-tabs a', { hasText: 'Chart' })
    if (hasDatastar && (await chartTab.count()) > 0) {
      await chartTab.click()
      await page.locator('.analytics-result canvas').first().waitFor()
    }
    await shoot(page, 'analytics-explore.png')
  },
}

const h = await startHarness()
try {
  const context = async (dark = false) => {
    const ctx = await h.browser.newContext({
      baseURL: h.baseUrl,
      viewport: { width: 1100, height: 760 },
      colorScheme: dark ? 'dark' : 'light',
    })
    return ctx
  }
  for (const [name, take] of Object.entries(SHOTS)) {
    if (!only || only.has(name)) await take(h, context)
  }
} finally {
  await h.close()
}

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { DASHBOARD_QUERIES } from '../src/features/analytics/dashboard-queries.ts'
import { E2E_TIMEOUT_MS, type Harness, hasDatastar, openPage, startHarness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

describe('analytics with JavaScript off', () => {
  it(
    'shows a quiet log as one empty state, the dashboard data as tables, and runs a query through the plain form',
    async () => {
      const context = await h.newSession({ javaScriptEnabled: false })
      const { page, problems } = await openPage(context, '/analytics')
      // Nothing written yet: every card says so the same way; no empty table, no flat chart.
      expect(await page.locator('#analytics-dashboard .card .empty-state').count()).toBe(DASHBOARD_QUERIES.length)
      expect(await page.locator('#analytics-dashboard :is(table, ironstar-chart)').count()).toBe(0)

      await context.request.post('/todos', { form: { text: 'Give the dashboard something' } })
      await page.reload()
      expect(await page.locator('#analytics-dashboard table').count()).toBe(DASHBOARD_QUERIES.length)
      expect(await page.locator('#analytics-dashboard .empty-state').count()).toBe(0)
      expect(await page.locator('#analytics-dashboard canvas').count()).toBe(0)

      await page.goto('/analytics/explore')
      await page.locator('#sql').fill('SELECT 40 + 2 AS answer')
      await page.locator('#analytics-editor button[type=submit]').click()
      expect(page.url()).toContain('/analytics/explore?q=')
      // The query runs in the background; a reload shows its outcome once it is recorded.
      for (let i = 0; i < 20 && (await page.locator('.analytics-result td').count()) === 0; i++) {
        await page.waitForTimeout(100)
        await page.reload()
      }
      expect(await page.locator('.analytics-result td').first().textContent()).toBe('42')
      expect(problems.consoleErrors).toEqual([])
      expect(problems.failedRequests).toEqual([])
    },
    E2E_TIMEOUT_MS,
  )
})

describe.skipIf(!hasDatastar)('analytics with Datastar', () => {
  it(
    'draws the dashboard charts and moves them when events arrive',
    async () => {
      const context = await h.newSession()
      const { page, problems } = await openPage(context, '/analytics', { feed: '/analytics/feed' })
      await page.locator('#chart-events-per-minute canvas').first().waitFor({ timeout: 5_000 })
      const before = await page.locator('.analytics-meta').textContent()
      const todos = await openPage(context, '/todos', { feed: '/todos/feed' })
      await todos.page.locator('input[name=text]').fill('Watch the chart')
      await todos.page.locator('input[name=text]').press('Enter')
      await page.waitForFunction((text) => document.querySelector('.analytics-meta')?.textContent !== text, before, {
        timeout: 5_000,
      })
      expect(await page.locator('#chart-events-per-minute canvas').count()).toBeGreaterThan(0)
      expect(problems.consoleErrors).toEqual([])
      expect(problems.failedRequests).toEqual([])
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'labels a count axis with whole numbers only',
    async () => {
      const context = await h.newSession()
      // uPlot draws its axes on a canvas: record every label each chart writes.
      await context.addInitScript(() => {
        const labels: { chart: string; text: string }[] = []
        Object.assign(window, { chartLabels: labels })
        const fillText = CanvasRenderingContext2D.prototype.fillText
        CanvasRenderingContext2D.prototype.fillText = function (this: CanvasRenderingContext2D, text, ...rest) {
          labels.push({ chart: this.canvas.closest('ironstar-chart')?.id ?? '', text: String(text) })
          return fillText.call(this, text, ...rest)
        }
      })
      // Counts of zero and one or two a minute: a fractional axis would tick at 0.2 or 0.5.
      await context.request.post('/todos', { form: { text: 'Count me' } })
      const { page, problems } = await openPage(context, '/analytics', { feed: '/analytics/feed' })
      await page.locator('#chart-todo-completion canvas').first().waitFor({ timeout: 5_000 })
      const labels: string[] = await page.evaluate(() =>
        (window as unknown as { chartLabels: { chart: string; text: string }[] }).chartLabels
          .filter((label) => label.chart === 'chart-todo-completion')
          .map((label) => label.text),
      )
      const ticks = labels.filter((label) => /^-?[\d,.]+$/.test(label))
      expect(ticks.length).toBeGreaterThanOrEqual(2)
      expect(ticks.filter((tick) => !/^-?[\d,]+$/.test(tick))).toEqual([])
      expect(problems.consoleErrors).toEqual([])
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'runs a query, shows it live, and switches to a chart',
    async () => {
      const context = await h.newSession()
      const { page, problems } = await openPage(context, '/analytics/explore', { feed: '/analytics/explore/feed' })
      await page.locator('#sql').fill('SELECT range AS x, range * 2 AS y FROM range(10)')
      await page.locator('#analytics-editor button[type=submit]').click()
      await page.locator('.analytics-result td', { hasText: '18' }).waitFor({ timeout: 5_000 })
      expect(page.url()).toEndWith('/analytics/explore')
      await page.locator('.analytics-tabs a', { hasText: 'Chart' }).click()
      await page.locator('ironstar-chart canvas').first().waitFor({ timeout: 5_000 })
      expect(problems.consoleErrors).toEqual([])
      expect(problems.failedRequests).toEqual([])
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'shows the query just run after a reload, and clears the message of an earlier refused run',
    async () => {
      const context = await h.newSession()
      const { page, problems } = await openPage(context, '/analytics/explore', { feed: '/analytics/explore/feed' })
      const runAndSee = async (sql: string, value: string) => {
        await page.locator('#sql').fill(sql)
        await page.locator('#analytics-editor button[type=submit]').click()
        await page.locator('.analytics-result td', { hasText: value }).waitFor({ timeout: 5_000 })
      }
      await runAndSee('SELECT 111 AS a', '111')
      await runAndSee('SELECT 222 AS b', '222')
      await page.reload()
      await page.locator('.analytics-result td', { hasText: '222' }).waitFor({ timeout: 5_000 })

      await page.locator('#sql').fill('DROP TABLE events')
      await page.locator('#analytics-editor button[type=submit]').click()
      await page.locator('#sql-error').waitFor({ timeout: 5_000 })
      await runAndSee('SELECT 333 AS c', '333')
      expect(await page.locator('.analytics-result pre').textContent()).toBe('SELECT 333 AS c')
      expect(await page.locator('#sql-error').count()).toBe(0)
      expect(await page.locator('#sql').getAttribute('aria-invalid')).toBeNull()
      expect(await page.locator('#sql').inputValue()).toBe('SELECT 333 AS c')
      expect(problems.consoleErrors).toEqual([])
      expect(problems.failedRequests).toEqual([])
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'shows the progress of a slow query live and cancels it',
    async () => {
      const context = await h.newSession()
      const { page, problems } = await openPage(context, '/analytics/explore', { feed: '/analytics/explore/feed' })
      await page
        .locator('#sql')
        .fill('SELECT count(*) FROM range(1000000000) a, range(1000) b WHERE (a.range + b.range) % 7 = 3')
      await page.locator('#analytics-editor button[type=submit]').click()
      const box = page.locator('.analytics-progress')
      await box.waitFor({ timeout: 5_000 })
      // Drawn in the design's colours, not the browser's native bar.
      expect(await box.locator('progress').evaluate((bar) => getComputedStyle(bar).appearance)).toBe('none')
      const first = await box.textContent()
      await page.waitForFunction((text) => document.querySelector('.analytics-progress')?.textContent !== text, first, {
        timeout: 5_000,
      })
      // Run is disabled while the query runs, and comes back once it has stopped.
      const runIs = (disabled: boolean) =>
        page.waitForFunction(
          (expected) =>
            (document.querySelector('#analytics-editor button[type=submit]') as HTMLButtonElement).disabled ===
            expected,
          disabled,
          { timeout: 5_000 },
        )
      await runIs(true)
      await page.locator('.analytics-running button', { hasText: 'Cancel' }).click()
      await page.locator('.analytics-result', { hasText: 'Cancelled.' }).waitFor({ timeout: 5_000 })
      await runIs(false)
      expect(problems.consoleErrors).toEqual([])
      expect(problems.failedRequests).toEqual([])
    },
    E2E_TIMEOUT_MS,
  )
})

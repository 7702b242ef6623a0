import { afterEach, beforeEach, describe, expect, it } from 'bun:test'
import type { Page } from 'playwright-core'
import { E2E_TIMEOUT_MS, type Harness, hasDatastar, openPage, startHarness } from './harness.ts'

// One server per test: the list is shared by everyone, so each test starts from the initial order.
let h: Harness
beforeEach(async () => {
  h = await startHarness()
})
afterEach(() => h.close())

const LIVE_MS = 1_000
const order = (page: Page) =>
  page.locator('#sortable-items .sortable-item').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.id))

describe('sortable with JavaScript off', () => {
  it(
    'moves items with the up and down buttons',
    async () => {
      const context = await h.newSession({ javaScriptEnabled: false })
      const { page, problems } = await openPage(context, '/sortable')
      expect(await order(page)).toEqual(['model', 'decide', 'project', 'render', 'ship'])
      expect(await page.locator('#item-model button[aria-label$="up"]').isDisabled()).toBe(true)
      await page.locator('#item-ship button[aria-label$="up"]').click()
      await page.locator('#item-model button[aria-label$="down"]').click()
      expect(await order(page)).toEqual(['decide', 'model', 'project', 'ship', 'render'])
      expect(problems.consoleErrors).toEqual([])
      expect(problems.failedRequests).toEqual([])
    },
    E2E_TIMEOUT_MS,
  )
})

describe.skipIf(!hasDatastar)('sortable with Datastar', () => {
  it(
    'reorders with the buttons and by drag and drop, live in a second page',
    async () => {
      const [first, second] = [await h.newSession(), await h.newSession()]
      const a = await openPage(first, '/sortable', { feed: '/sortable/feed' })
      const b = await openPage(second, '/sortable', { feed: '/sortable/feed' })

      await a.page.locator('#item-ship button[aria-label$="up"]').click()
      await b.page.waitForFunction(
        () => document.querySelector('#sortable-items > li:nth-child(4)')?.id === 'item-ship',
        null,
        { timeout: LIVE_MS },
      )
      expect(await order(b.page)).toEqual(['model', 'decide', 'project', 'ship', 'render'])

      // Drag "render" (last) onto the first item by its handle: the component emits `reorder`.
      const handle = a.page.locator('#item-render .sortable-item__handle')
      const target = a.page.locator('#item-model')
      const from = await handle.boundingBox()
      const to = await target.boundingBox()
      if (!from || !to) throw new Error('Cannot drag: items are not laid out')
      await a.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2)
      await a.page.mouse.down()
      for (let step = 1; step <= 10; step++) {
        await a.page.mouse.move(from.x + from.width / 2, from.y + ((to.y + 4 - from.y) * step) / 10)
      }
      await a.page.mouse.up()
      await b.page.waitForFunction(
        () => document.querySelector('#sortable-items > li:first-child')?.id === 'item-render',
        null,
        { timeout: LIVE_MS },
      )
      expect(await order(b.page)).toEqual(['render', 'model', 'decide', 'project', 'ship'])
      expect(await order(a.page)).toEqual(await order(b.page))

      for (const { problems } of [a, b]) {
        expect(problems.consoleErrors).toEqual([])
        expect(problems.failedRequests).toEqual([])
      }
    },
    E2E_TIMEOUT_MS,
  )
})

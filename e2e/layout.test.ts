import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { E2E_TIMEOUT_MS, type Harness, SITE_PAGES, startHarness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

describe('every page', () => {
  it(
    'starts its content at the same left edge, in one of the two content widths',
    async () => {
      const context = await h.newSession({ javaScriptEnabled: false })
      const page = await context.newPage()
      const boxes = new Map<string, { left: number; width: number }>()
      for (const path of SITE_PAGES) {
        await page.goto(path)
        boxes.set(
          path,
          await page.locator('main > :first-child').evaluate((content) => {
            const box = content.getBoundingClientRect()
            return { left: box.left, width: box.width }
          }),
        )
      }
      const lefts = new Set([...boxes.values()].map((box) => box.left))
      const widths = new Set([...boxes.values()].map((box) => box.width))
      expect({ lefts: lefts.size, widths: widths.size }, JSON.stringify(Object.fromEntries(boxes))).toEqual({
        lefts: 1,
        widths: 2,
      })
      // Reading pages stop at the reading width; dashboards and the landing page take it all.
      expect(boxes.get('/todos')?.width).toBeLessThan(boxes.get('/analytics')?.width ?? 0)
      expect(boxes.get('/monitor')?.width).toBe(boxes.get('/analytics')?.width ?? 0)
      expect(boxes.get('/')?.width).toBe(boxes.get('/analytics')?.width ?? 0)
    },
    E2E_TIMEOUT_MS,
  )
})

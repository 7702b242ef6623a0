import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import type { Page } from 'playwright-core'
import { E2E_TIMEOUT_MS, type Harness, openPage, SITE_PAGES, startHarness } from './harness.ts'

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

/** A phone: what the layout is judged at (CSS only, so JavaScript off). */
const PHONE = { width: 375, height: 800 }

async function navFade(page: Page): Promise<{ overflows: boolean; start: string; end: string }> {
  return page.locator('.site-nav ul').evaluate((list) => {
    const style = getComputedStyle(list)
    return {
      overflows: list.scrollWidth > list.clientWidth,
      start: style.getPropertyValue('--nav-fade-start'),
      end: style.getPropertyValue('--nav-fade-end'),
    }
  })
}

describe('at 375 px', () => {
  it(
    'the new-todo field shows its whole placeholder and Add keeps its label',
    async () => {
      const context = await h.newSession({ javaScriptEnabled: false, viewport: PHONE })
      // With a todo the header also holds the toggle-all button, its narrowest state.
      await context.request.post('/todos', { form: { text: 'Buy milk' } })
      const { page } = await openPage(context, '/todos')
      expect(await page.locator('.todo-toggle-all').count()).toBe(1)
      const field = await page.locator('#todo-new-text').evaluate((input: HTMLInputElement) => {
        const style = getComputedStyle(input)
        const text = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D
        text.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`
        const room = input.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight)
        return { needed: text.measureText(input.placeholder).width, room }
      })
      expect(field.needed).toBeLessThanOrEqual(field.room)
      const add = page.locator('#todo-new button[type=submit]')
      expect(await add.locator('span', { hasText: 'Add' }).isVisible()).toBe(true)
      expect(await add.evaluate((button) => button.scrollWidth <= button.clientWidth)).toBe(true)
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'the nav that scrolls sideways fades at the edge it can scroll to, and not at its end',
    async () => {
      const context = await h.newSession({ javaScriptEnabled: false, viewport: PHONE })
      const { page } = await openPage(context, '/todos')
      const atStart = await navFade(page)
      expect(atStart.overflows).toBe(true)
      expect(atStart.start).toBe('0px')
      expect(Number.parseFloat(atStart.end)).toBeGreaterThan(0)

      await page
        .locator('.site-nav ul')
        .evaluate((list) => list.scrollTo({ left: list.scrollWidth, behavior: 'instant' }))
      // Polled from here: with JavaScript off the page runs no callbacks for waitForFunction.
      let atEnd = await navFade(page)
      for (let i = 0; i < 50 && atEnd.end !== '0px'; i++) {
        await Bun.sleep(20)
        atEnd = await navFade(page)
      }
      expect(atEnd.end).toBe('0px')
      expect(Number.parseFloat(atEnd.start)).toBeGreaterThan(0)
    },
    E2E_TIMEOUT_MS,
  )
})

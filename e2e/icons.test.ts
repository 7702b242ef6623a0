import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { E2E_TIMEOUT_MS, type Harness, hasDatastar, openPage, startHarness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

describe('icons', () => {
  for (const javaScriptEnabled of [false, ...(hasDatastar ? [true] : [])]) {
    it(
      `draw from the sprite in the page's text colour, under the page's CSP (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`,
      async () => {
        const context = await h.newSession({ javaScriptEnabled })
        const { page, problems } = await openPage(context, '/todos')
        await page.fill('#todo-new-text', 'Water the plants')
        await page.press('#todo-new-text', 'Enter')
        const remove = page.locator('.todo-item .todo-delete')
        await remove.waitFor()
        // A <use> whose sprite did not load has no shapes, so no box; one that did has the icon's.
        await page.waitForFunction(() =>
          [...document.querySelectorAll('svg.icon use')].every((use) => (use as SVGUseElement).getBBox().width > 0),
        )
        const drawn = await remove.evaluate((button) => {
          const svg = button.querySelector('svg.icon') as SVGSVGElement
          return { stroke: getComputedStyle(svg).stroke, color: getComputedStyle(button).color, hidden: svg.ariaHidden }
        })
        expect(drawn.stroke).toBe(drawn.color)
        expect(drawn.hidden).toBe('true')
        // The pixels are the icon's: without its reference the button looks different.
        const withIcon = await remove.screenshot()
        await remove.evaluate((button) => button.querySelector('use')?.removeAttribute('href'))
        expect((await remove.screenshot()).equals(withIcon)).toBe(false)
        expect(problems).toEqual({ consoleErrors: [], failedRequests: [] })
        await context.close()
      },
      E2E_TIMEOUT_MS,
    )
  }
})

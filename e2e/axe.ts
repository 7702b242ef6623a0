import type { AxeResults, Result } from 'axe-core'
import type { BrowserContext, Page } from 'playwright-core'

const AXE_SOURCE = Bun.resolveSync('axe-core/axe.min.js', import.meta.dir)
const BLOCKING = new Set(['serious', 'critical'])

/**
 * A page as a visitor with JavaScript off gets it, in a browser that can still run axe: a
 * context made with `javaScriptEnabled: false` never fires the timers axe waits on, so this one
 * refuses every script request instead. The pages carry no inline script and no `<noscript>`,
 * so the DOM and styles are exactly what the no-JS visitor sees.
 */
export async function refuseScripts(context: BrowserContext): Promise<void> {
  await context.route('**/*', (route) =>
    route.request().resourceType() === 'script' ? route.abort('blockedbyclient') : route.continue(),
  )
}

/**
 * Runs axe-core in the page (evaluated, so the page's CSP does not apply) and returns its
 * serious and critical violations, one readable line per element: rule, what failed, where.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(await Bun.file(AXE_SOURCE).text())
  const violations: Result[] = await page.evaluate(async () => {
    const { axe } = window as unknown as { axe: { run(context: Document): Promise<AxeResults> } }
    return (await axe.run(document)).violations
  })
  return violations
    .filter((violation) => BLOCKING.has(violation.impact ?? ''))
    .flatMap((violation) =>
      violation.nodes.map(
        (node) =>
          `${violation.id} (${violation.impact}) at ${node.target.join(' ')}: ${node.failureSummary?.replace(/\s+/g, ' ') ?? violation.help}`,
      ),
    )
}

// Time from a todo add in one page to the change being visible, in Chromium:
// - baseline: JavaScript off, the page's own plain form (POST → 303 → GET, a full page load)
// - Datastar: the same form posted by fetch, seen in a *second* page of the session via its feed
// Skipped (with a note) when Chromium or the vendored Datastar client is missing.
import { existsSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { CHROMIUM_PATH, hasDatastar, openPage, startHarness } from '../e2e/harness.ts'
import { printTable } from './table.ts'

const ROUNDS = 20

function summary(name: string, samples: number[]): Record<string, string | number> {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  return { case: name, rounds: sorted.length, 'median ms': at(0.5), 'p90 ms': at(0.9), 'max ms': at(1) }
}

async function addAndTime(source: Page, observer: Page, text: string): Promise<number> {
  await source.fill('#todo-new-text', text)
  const started = performance.now()
  await source.press('#todo-new-text', 'Enter')
  await observer.locator('.todo-item .todo-text', { hasText: text }).first().waitFor()
  return performance.now() - started
}

if (!existsSync(CHROMIUM_PATH) || !hasDatastar) {
  console.log('Skipped: needs Chromium and assets/vendor/datastar.js')
} else {
  const h = await startHarness()
  try {
    const plain = await openPage(await h.newSession({ javaScriptEnabled: false }), '/todos')
    const session = await h.newSession()
    const a = await openPage(session, '/todos', { feed: '/todos/feed' })
    const b = await openPage(session, '/todos', { feed: '/todos/feed' })
    const [baseline, live] = [[] as number[], [] as number[]]
    for (let i = 0; i < ROUNDS; i++) {
      baseline.push(await addAndTime(plain.page, plain.page, `plain ${i}`))
      live.push(await addAndTime(a.page, b.page, `live ${i}`))
    }
    printTable([
      summary('baseline: JS off, own page reloads (POST, 303, GET)', baseline),
      summary('Datastar: other tab of the session, via its feed', live),
    ])
  } finally {
    await h.close()
  }
}

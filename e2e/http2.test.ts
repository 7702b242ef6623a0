import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { writeSelfSignedCertificate } from '../test/fixtures/self-signed.ts'
import { makeTempDir } from '../test/fixtures/store.ts'
import { E2E_TIMEOUT_MS, type Harness, hasDatastar, openPage, startHarness } from './harness.ts'

// Over HTTP/1.1 Chromium opens at most six connections to a host and every /todos tab holds one
// feed, so a seventh tab never loads. Over HTTP/2 the tabs share one connection.
const TABS = 12
/** Generous, for loading and for following: twelve tabs of one browser on a shared two-core machine. */
const FOLLOW_MS = 15_000

const certDir = makeTempDir('ironstar-e2e-tls-')
let h: Harness
beforeAll(async () => {
  if (!hasDatastar) return
  const { certPath, keyPath } = writeSelfSignedCertificate(certDir)
  h = await startHarness({ TLS_CERT: certPath, TLS_KEY: keyPath })
})
afterAll(async () => {
  await h?.close()
  rmSync(certDir, { recursive: true, force: true })
})

describe.skipIf(!hasDatastar)('todos over HTTPS with HTTP/2', () => {
  it(
    `loads ${TABS} tabs of one browser, each with its feed open, and every tab follows a change`,
    async () => {
      expect(h.baseUrl).toStartWith('https://')
      const context = await h.newSession()
      // All at once, and each stays open holding its feed.
      const tabs = await Promise.all(
        Array.from({ length: TABS }, () =>
          openPage(context, '/todos', { feed: '/todos/feed', feedTimeoutMs: FOLLOW_MS }),
        ),
      )
      const pages = tabs.map(({ page }) => page)
      for (const page of pages) {
        const protocol = await page.evaluate(
          () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
        )
        expect(protocol).toBe('h2')
      }

      const first = pages[0] as Page
      await first.fill('#todo-new-text', 'Seen by every tab')
      await first.press('#todo-new-text', 'Enter')
      await Promise.all(
        pages.map((page) =>
          page.locator('.todo-item .todo-text', { hasText: 'Seen by every tab' }).waitFor({ timeout: FOLLOW_MS }),
        ),
      )

      const last = pages.at(-1) as Page
      await last.locator('.todo-item .todo-toggle').first().click()
      await Promise.all(pages.map((page) => page.locator('.todo-item.is-completed').waitFor({ timeout: FOLLOW_MS })))

      for (const { problems } of tabs) {
        expect(problems.consoleErrors).toEqual([])
        expect(problems.failedRequests).toEqual([])
      }
    },
    E2E_TIMEOUT_MS * 2,
  )
})

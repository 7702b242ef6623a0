import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { slices } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { DATASTAR_PIN } from '../src/core/web/datastar-pin.ts'
import { type RunningServer, startServer } from '../src/server.ts'
import { BROWSER_ARGS, CHROMIUM_PATH, E2E_TIMEOUT_MS, hasDatastar } from './harness.ts'

// IRONSTAR_ENV=production from source bundles web/ as the binary does (scripts/build/web.ts checks the
// binary's own bundle): Lit's production build, so no "Lit is in dev mode" or any other console warning.
const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-e2e-production-'))
let server: RunningServer
let browser: Browser
beforeAll(async () => {
  server = await startServer(
    loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      IRONSTAR_ENV: 'production',
      // Pages are read over loopback, which production always answers for.
      PUBLIC_ORIGIN: 'https://app.example.com',
    }),
    { log: () => {} },
  )
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: BROWSER_ARGS })
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

const PAGES = ['/', ...slices.flatMap((slice) => (slice.nav ? [slice.nav.href] : [])), '/analytics/explore']

describe('in production', () => {
  it(
    'no page logs a console warning or error',
    async () => {
      const context = await browser.newContext({ baseURL: server.url.origin })
      const messages: string[] = []
      for (const path of PAGES) {
        const page = await context.newPage()
        page.on('console', (message) => {
          if (message.type() !== 'warning' && message.type() !== 'error') return
          // Without a vendored client, pages load the pinned CDN copy, which an offline machine cannot reach.
          if (!hasDatastar && message.location().url === DATASTAR_PIN.url) return
          messages.push(`${path}: ${message.text()}`)
        })
        page.on('pageerror', (error) => messages.push(`${path}: ${error.message}`))
        await page.goto(path)
        await page.waitForLoadState('load')
        await page.waitForTimeout(200) // components upgrade after load; Lit warns on first render
        await page.close()
      }
      expect(PAGES.length).toBeGreaterThan(5)
      expect(messages).toEqual([])
      await context.close()
    },
    E2E_TIMEOUT_MS,
  )
})

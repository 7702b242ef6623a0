import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { slices } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { type RunningServer, startServer } from '../src/server.ts'

/** Debian's Chromium; CI installs it when missing (see .ci/run). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Home, every page in the slices' nav, the page behind analytics, and what a wrong link shows. */
export const SITE_PAGES: readonly string[] = [
  ...new Set(['/', ...slices.flatMap((slice) => (slice.nav ? [slice.nav.href] : [])), '/analytics/explore']),
  '/no-such-page',
]

/** Per browser test: bun's default of 5 s is too short for a real browser on a shared machine. */
export const E2E_TIMEOUT_MS = 30_000

/** Headless Chromium as every browser test launches it. */
export const BROWSER_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** The Datastar-on tests run whenever the vendored client is present (it is never committed). */
export const hasDatastar = existsSync(join(import.meta.dir, '..', 'assets', 'vendor', 'datastar.js'))
if (!hasDatastar) {
  console.log(
    'Skipping the Datastar-on browser tests: assets/vendor/datastar.js is absent. Enable them with ' +
      '`bun run vendor:datastar` (offline: `--from <file>`, plus `--unpinned` for a 1.0.x release other than the pin).',
  )
}

export interface Harness {
  readonly server: RunningServer
  readonly browser: Browser
  readonly baseUrl: string
  /** A fresh browser context is a fresh cookie jar: a new session. */
  newSession(options?: SessionOptions): Promise<BrowserContext>
  close(): Promise<void>
}

export interface SessionOptions {
  readonly javaScriptEnabled?: boolean
  /** The theme pinned with the toggle (its cookie); without it the page follows the system. */
  readonly theme?: 'light' | 'dark'
  readonly viewport?: { readonly width: number; readonly height: number }
}

/**
 * A real server on an ephemeral port over a temporary data directory, and a headless Chromium.
 * `env` adds configuration (TLS_CERT and TLS_KEY serve HTTPS, whose self-signed certificate the
 * browser then accepts).
 */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Cannot run browser tests: no Chromium at ${CHROMIUM_PATH}. Install it (apt-get install chromium) or set CHROMIUM_PATH`,
    )
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-e2e-'))
  const server = await startServer(
    loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, IRONSTAR_ENV: 'test', ...env }),
  )
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: BROWSER_ARGS })
  const contexts: BrowserContext[] = []
  const baseUrl = server.url.origin
  return {
    server,
    browser,
    baseUrl,
    async newSession({ javaScriptEnabled = true, theme, viewport = { width: 1100, height: 800 } } = {}) {
      const context = await browser.newContext({
        baseURL: baseUrl,
        javaScriptEnabled,
        ignoreHTTPSErrors: server.url.protocol === 'https:',
        viewport,
      })
      contexts.push(context)
      if (theme) await context.addCookies([{ name: 'theme', value: theme, url: baseUrl }])
      return context
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {})
      await browser.close()
      await server.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export interface PageProblems {
  readonly consoleErrors: string[]
  readonly failedRequests: string[]
}

/**
 * Records console errors, uncaught page errors, requests that failed at the network level
 * and responses with a 4xx/5xx status. A feed aborted because the page navigated away or
 * closed is not a failure: the browser cancels long-lived requests by design. Nor is the
 * favicon, which the browser requests after the load event and drops when the page goes.
 */
export function watchProblems(page: Page): PageProblems {
  const problems: PageProblems = { consoleErrors: [], failedRequests: [] }
  page.on('console', (message) => {
    if (message.type() === 'error') problems.consoleErrors.push(message.text())
  })
  page.on('pageerror', (error) => problems.consoleErrors.push(`Uncaught: ${error.message}`))
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? 'unknown'
    const path = new URL(request.url()).pathname
    if (reason === 'net::ERR_ABORTED' && (path.endsWith('/feed') || path.endsWith('/favicon.svg'))) return
    problems.failedRequests.push(`${request.method()} ${request.url()}: ${reason}`)
  })
  page.on('response', (response) => {
    if (response.status() >= 400) {
      problems.failedRequests.push(`${response.request().method()} ${response.url()}: ${response.status()}`)
    }
  })
  return problems
}

export interface OpenPageOptions {
  /** Path of the feed the page opens (Datastar on): resolves once its response has started. */
  feed?: string
  /** How long the feed may take to start. @default 5000 */
  feedTimeoutMs?: number
}

/** Opens a page of the session, starts watching it for problems and, if asked, for its feed. */
export async function openPage(
  context: BrowserContext,
  path: string,
  options: OpenPageOptions = {},
): Promise<{ page: Page; problems: PageProblems }> {
  const page = await context.newPage()
  const problems = watchProblems(page)
  const { feed, feedTimeoutMs = 5_000 } = options
  // Listen before navigating: the feed may open before goto() returns.
  const feedOpened = feed
    ? page.waitForResponse((response) => new URL(response.url()).pathname === feed, { timeout: feedTimeoutMs })
    : undefined
  await page.goto(path)
  await feedOpened
  return { page, problems }
}

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { type Browser, chromium, type Page, type WebSocket } from 'playwright-core'
import { type DevProject, startDevProject } from './dev-project.ts'
import { BROWSER_ARGS, CHROMIUM_PATH, E2E_TIMEOUT_MS, hasDatastar } from './harness.ts'

// `bun run dev` as a newcomer meets it: a real `bun --watch` on a copy of the project, a real browser, files
// broken and fixed the way an editor saves them. The dev process must never need a manual restart.
let dev: DevProject
let browser: Browser
beforeAll(async () => {
  ;[dev, browser] = await Promise.all([
    startDevProject(),
    chromium.launch({ executablePath: CHROMIUM_PATH, args: BROWSER_ARGS }),
  ])
}, 30_000)
afterAll(async () => {
  await browser?.close()
  await dev?.stop()
})

const OVERLAY = '#ironstar-dev-overlay'
const RECOVERY_MS = 10_000

/** Opens a page and resolves once its dev client holds the reload channel and has heard the server's state. */
async function openConnected(path: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: dev.baseUrl })
  const page = await context.newPage()
  const connected = page.waitForEvent('websocket').then((ws) => ws.waitForEvent('framereceived'))
  await page.goto(path)
  await connected
  await markNotReloaded(page)
  return page
}

async function markNotReloaded(page: Page): Promise<void> {
  await page.evaluate(() => {
    ;(window as unknown as { notReloaded: boolean }).notReloaded = true
  })
}

const hasOutline = (expected: boolean) =>
  (getComputedStyle(document.querySelector('main h1') as Element).outlineColor === 'rgb(1, 2, 3)') === expected

const waitForReload = (page: Page) =>
  page.waitForFunction(() => !(window as unknown as { notReloaded?: boolean }).notReloaded, null, {
    timeout: RECOVERY_MS,
  })

const wasReloaded = (page: Page) =>
  page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded !== true)

/** The overlay lists `file:line:column`; the column is whatever the tool reports. */
async function expectOverlayAt(page: Page, file: string, line: number): Promise<void> {
  const where = page.locator(`${OVERLAY} .where`, { hasText: `${file}:${line}:` })
  await where.first().waitFor({ timeout: RECOVERY_MS })
}

/**
 * Saves a broken line at the end of a file of the copy and checks the page's overlay and the terminal both
 * name that file and line, from the expected source; returns the line.
 */
async function breakFile(page: Page, file: string, text: string, source: string): Promise<number> {
  const line = dev.append(file, text)
  await expectOverlayAt(page, file, line)
  expect(await page.locator(`${OVERLAY} .source`).first().textContent()).toBe(source)
  expect(dev.output()).toContain(`${file}:${line}:`)
  return line
}

async function expectNoOverlay(page: Page): Promise<void> {
  await page.locator(OVERLAY).waitFor({ state: 'detached', timeout: RECOVERY_MS })
}

describe('bun run dev survives broken files and shows them in the open page', () => {
  it(
    'a syntax error in a server view: the overlay names the file and line; the fix restarts and reloads',
    async () => {
      const page = await openConnected('/todos')
      await breakFile(page, 'src/features/todo/views.ts', 'export const broken = (', 'server')
      expect(await wasReloaded(page)).toBe(false) // the error came to the page; typed text would have survived
      expect(dev.output()).toContain('The server cannot start')

      dev.restore('src/features/todo/views.ts')
      await waitForReload(page)
      await expectNoOverlay(page)
      expect(await page.locator('main h1').textContent()).toContain('Todos')
      expect(dev.exitCode).toBeNull()
      await page.context().close()
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'a type error in a server view shows in the overlay and the terminal, and clears on the fix',
    async () => {
      await dev.typeChecked()
      const page = await openConnected('/todos')
      // A type error does not stop the server: it restarts, the page reloads, and the type check reports.
      const mistyped = "export const mistyped: number = 'not a number'"
      await breakFile(page, 'src/features/todo/views.ts', mistyped, 'types')
      expect(await page.locator(`${OVERLAY} .message`).first().textContent()).toContain('TS2322')

      await markNotReloaded(page)
      dev.restore('src/features/todo/views.ts')
      await waitForReload(page) // the fix restarts the server
      await expectNoOverlay(page)
      expect(dev.exitCode).toBeNull()
      await page.context().close()
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'a CSS syntax error keeps the page styled, shows the overlay, and the fix swaps the stylesheet in place',
    async () => {
      const page = await openConnected('/todos')
      await page.fill('#todo-new-text', 'typed before the edits')
      await breakFile(page, 'web/styles/examples/todo.css', '.todo-broken { color red }', 'css')

      dev.restore('web/styles/examples/todo.css')
      await expectNoOverlay(page)
      expect(await wasReloaded(page)).toBe(false)
      expect(await page.inputValue('#todo-new-text')).toBe('typed before the edits')
      expect(dev.exitCode).toBeNull()
      await page.context().close()
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'a CSS change applies without a reload: typed text stays',
    async () => {
      const page = await openConnected('/todos')
      await page.fill('#todo-new-text', 'still here')
      await page.focus('#todo-new-text')
      dev.append('web/styles/examples/todo.css', 'main h1 { outline: 3px solid rgb(1, 2, 3); }')
      await page.waitForFunction(hasOutline, true, { timeout: RECOVERY_MS })
      expect(await wasReloaded(page)).toBe(false)
      expect(await page.inputValue('#todo-new-text')).toBe('still here')
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('todo-new-text')
      expect(await page.locator('link[rel="stylesheet"][href*="app.css"]').count()).toBe(1) // the old one went
      dev.restore('web/styles/examples/todo.css')
      await page.waitForFunction(hasOutline, false, { timeout: RECOVERY_MS }) // settled before the next test
      await page.context().close()
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'a syntax error in a web component: the overlay names it, app.js stays served, and a changed script reloads',
    async () => {
      const page = await openConnected('/sortable')
      await breakFile(page, 'src/features/sortable/web/sortable-list.ts', 'export const broken = (', 'browser')
      expect((await fetch(`${dev.baseUrl}/assets/app.js`)).status).toBe(200) // the last good bundle

      // Fixed back to the bytes the page already runs: nothing to reload, the overlay just goes.
      dev.restore('src/features/sortable/web/sortable-list.ts')
      await expectNoOverlay(page)
      expect(await wasReloaded(page)).toBe(false)
      // A script that really changed reloads the page: a bundle cannot be swapped in place.
      dev.append('src/features/sortable/web/sortable-list.ts', 'export const changedLater = 1')
      await waitForReload(page)
      // The new document exists before its module script has run: wait for it to define the element.
      await page.waitForFunction(() => customElements.get('sortable-list') !== undefined, null, {
        timeout: RECOVERY_MS,
      })
      expect(dev.exitCode).toBeNull()
      await markNotReloaded(page)
      dev.restore('src/features/sortable/web/sortable-list.ts')
      await waitForReload(page) // settled before the next test
      await page.context().close()
    },
    E2E_TIMEOUT_MS,
  )
})

describe.skipIf(!hasDatastar)('the dev reload channel across tabs', () => {
  it(
    'six tabs of /todos over HTTP/1.1 all load and open their feeds; one tab holds the channel for all',
    async () => {
      const context = await browser.newContext({ baseURL: dev.baseUrl })
      const sockets: { ws: WebSocket; page: Page }[] = []
      const open = () => sockets.filter(({ ws, page }) => !ws.isClosed() && !page.isClosed()).length
      const pages: Page[] = []
      for (let i = 0; i < 6; i++) {
        const page = await context.newPage()
        page.on('websocket', (ws) => sockets.push({ ws, page }))
        const feed = page.waitForResponse((r) => new URL(r.url()).pathname === '/todos/feed', { timeout: 5_000 })
        await page.goto('/todos')
        await feed
        pages.push(page)
      }
      for (const page of pages) expect(await page.locator('main h1').textContent()).toContain('Todos')
      expect(open()).toBe(1)

      // Every tab hears the state the one connection carries.
      const line = dev.append('web/styles/examples/todo.css', '.todo-broken { color red }')
      for (const page of pages) await expectOverlayAt(page, 'web/styles/examples/todo.css', line)
      dev.restore('web/styles/examples/todo.css')
      for (const page of pages) await expectNoOverlay(page)

      // The tab holding the channel closes: another one takes it over, and the rest still hear.
      const [leader, ...rest] = pages
      await leader?.close()
      const again = dev.append('web/styles/examples/todo.css', '.todo-broken { color red }')
      for (const page of rest) await expectOverlayAt(page, 'web/styles/examples/todo.css', again)
      expect(open()).toBe(1)
      expect(sockets.length).toBeGreaterThan(1) // a new one, held by another tab
      dev.restore('web/styles/examples/todo.css')
      for (const page of rest) await expectNoOverlay(page)
      await context.close()
    },
    E2E_TIMEOUT_MS,
  )
})

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { z } from 'zod'
import { loadConfig } from '../src/config.ts'
import { defineSlice } from '../src/core/slice.ts'
import { type Html, html } from '../src/core/web/html.ts'
import { commandRoute, type Rejection } from '../src/core/web/http/command.ts'
import { layout, page } from '../src/core/web/ui/layout.ts'
import { home } from '../src/features/home/index.ts'
import { type RunningServer, startServer } from '../src/server.ts'
import { CHROMIUM_PATH, E2E_TIMEOUT_MS, hasDatastar, watchProblems } from './harness.ts'

// A probe slice: one form upgraded by Datastar, one command that always fails.
const Input = z.object({ name: z.string().trim().min(3, 'At least three letters') })

function probeForm(rejection?: Rejection): Html {
  const error = rejection?.issues.name
  return html`<form id="probe-form" method="post" action="/shell-probe" novalidate
      data-on:submit="@post('/shell-probe', {contentType: 'form'})">
    <div class="field">
      <label for="name">Name</label>
      <input id="name" name="name" ${error ? html`aria-invalid="true"` : ''}>
      ${error ? html`<p class="field__error">${error}</p>` : ''}
    </div>
    <button class="button button--primary">Save</button>
  </form>
  <button id="boom" class="button button--danger" data-on:click="@post('/shell-probe/boom')">Fail</button>`
}

const probe = defineSlice({
  name: 'shell-probe',
  routes: () => ({
    '/shell-probe': {
      GET: (_req, ctx) => page(ctx, { title: 'Probe', body: probeForm() }),
      POST: commandRoute({
        input: Input,
        handle: async () => undefined,
        rejected: (ctx, rejection) => ({
          page: () => layout(ctx, { title: 'Probe', body: probeForm(rejection) }),
          region: () => probeForm(rejection),
        }),
      }),
    },
    '/shell-probe/boom': {
      POST: () => {
        throw new Error('Probe failure on purpose')
      },
    },
  }),
})

let server: RunningServer
let browser: Browser
let dataDir: string
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ironstar-e2e-shell-'))
  server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, IRONSTAR_ENV: 'test' }), {
    slices: [home, probe],
  })
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  })
})
afterAll(async () => {
  await browser.close()
  await server.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('theme toggle', () => {
  for (const javaScriptEnabled of [false, true]) {
    it(
      `persists the chosen theme across pages with JavaScript ${javaScriptEnabled ? 'on' : 'off'}`,
      async () => {
        const context = await browser.newContext({
          baseURL: server.url.origin,
          javaScriptEnabled,
          colorScheme: 'light',
        })
        const tab = await context.newPage()
        await tab.goto('/')
        const lightBackground = await tab.evaluate(() => getComputedStyle(document.body).backgroundColor)
        await tab.locator('button[name=theme][value=dark]').click()
        await tab.waitForURL('**/')
        expect(await tab.getAttribute('html', 'data-theme')).toBe('dark')
        await tab.goto('/shell-probe')
        expect(await tab.getAttribute('html', 'data-theme')).toBe('dark')
        expect(await tab.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe(lightBackground)
        await context.close()
      },
      E2E_TIMEOUT_MS,
    )
  }
})

describe('plain forms', () => {
  it(
    'shows the validation error next to the field after a 422, with JavaScript off',
    async () => {
      const context = await browser.newContext({ baseURL: server.url.origin, javaScriptEnabled: false })
      const tab = await context.newPage()
      await tab.goto('/shell-probe')
      await tab.fill('#name', 'ab')
      const [response] = await Promise.all([
        tab.waitForResponse('**/shell-probe'),
        tab.locator('#probe-form button').click(),
      ])
      expect(response.status()).toBe(422)
      expect(await tab.locator('#probe-form .field__error').textContent()).toBe('At least three letters')
      await context.close()
    },
    E2E_TIMEOUT_MS,
  )
})

describe.skipIf(!hasDatastar)('with Datastar', () => {
  it(
    'morphs the form region to show the error, without navigating',
    async () => {
      const context = await browser.newContext({ baseURL: server.url.origin })
      const tab = await context.newPage()
      const problems = watchProblems(tab)
      await tab.goto('/shell-probe')
      await tab.evaluate(() => {
        ;(window as unknown as { marker: number }).marker = 1
      })
      await tab.fill('#name', 'ab')
      await tab.locator('#probe-form button').click()
      await tab.locator('#probe-form .field__error', { hasText: 'At least three letters' }).waitFor({ timeout: 5_000 })
      expect(await tab.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1)
      expect(problems.consoleErrors).toEqual([])
      await context.close()
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'shows a toast with the error id when a command fails unexpectedly',
    async () => {
      const context = await browser.newContext({ baseURL: server.url.origin })
      const tab = await context.newPage()
      await tab.goto('/shell-probe')
      await tab.locator('#boom').click()
      const toast = tab.locator('#toasts .toast--danger')
      await toast.waitFor({ timeout: 5_000 })
      expect(await toast.textContent()).toMatch(/error id [0-9a-f-]{36}/)
      expect(await toast.textContent()).not.toContain('Probe failure on purpose')
      await context.close()
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'loads the landing page without console errors (no CSP violations)',
    async () => {
      const context = await browser.newContext({ baseURL: server.url.origin })
      const tab = await context.newPage()
      const problems = watchProblems(tab)
      await tab.goto('/', { waitUntil: 'networkidle' })
      expect(problems.consoleErrors).toEqual([])
      expect(problems.failedRequests).toEqual([])
      await context.close()
    },
    E2E_TIMEOUT_MS,
  )
})

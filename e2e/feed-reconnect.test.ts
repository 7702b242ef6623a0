import { afterAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { loadConfig } from '../src/config.ts'
import { type RunningServer, startServer } from '../src/server.ts'
import { freePort } from '../test/fixtures/process.ts'
import { CHROMIUM_PATH, E2E_TIMEOUT_MS, hasDatastar } from './harness.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-e2e-restart-'))
const running: RunningServer[] = []
afterAll(async () => {
  for (const server of running) await server.stop().catch(() => {})
  rmSync(dataDir, { recursive: true, force: true })
})

async function start(port: number): Promise<RunningServer> {
  const config = loadConfig({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, IRONSTAR_ENV: 'test' })
  const server = await startServer(config)
  running.push(server)
  return server
}

describe.skipIf(!hasDatastar)('a Datastar feed across a server restart', () => {
  it(
    'reconnects on its own with Last-Event-ID and shows what changed meanwhile, without a reload',
    async () => {
      const port = freePort()
      const first = await start(port)
      const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu'] })
      try {
        const context = await browser.newContext({ baseURL: `http://127.0.0.1:${port}` })
        const watcher = await context.newPage()
        const resumedWith: (string | null)[] = []
        watcher.on('request', (request) => {
          if (new URL(request.url()).pathname === '/todos/feed')
            resumedWith.push(request.headers()['last-event-id'] ?? null)
        })
        await watcher.goto('/todos')
        await watcher.evaluate(() => {
          ;(window as unknown as { notReloaded: boolean }).notReloaded = true
        })
        await watcher.fill('#todo-new-text', 'Before the restart')
        await watcher.press('#todo-new-text', 'Enter')
        await watcher.locator('.todo-item .todo-text', { hasText: 'Before the restart' }).waitFor({ timeout: 2_000 })

        // Shutdown resets the feed; Datastar retries (1 s, then 2 s, …) until the next process answers.
        await first.stop()
        running.splice(running.indexOf(first), 1)
        await start(port)

        const writer = await context.newPage()
        await writer.goto('/todos')
        await writer.fill('#todo-new-text', 'After the restart')
        await writer.press('#todo-new-text', 'Enter')

        await watcher.locator('.todo-item .todo-text', { hasText: 'After the restart' }).waitFor({ timeout: 8_000 })
        expect(await watcher.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true)
        expect(resumedWith.length).toBeGreaterThanOrEqual(2)
        expect(resumedWith.at(-1)).toMatch(/^\d+$/) // the reconnect carried the last position it had
      } finally {
        await browser.close()
      }
    },
    E2E_TIMEOUT_MS,
  )
})

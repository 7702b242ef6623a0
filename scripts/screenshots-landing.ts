/**
 * Screenshots of the landing page (light and dark at 1440 px, light at 375 px) into docs/images/,
 * taken with the system Chromium through playwright-core against a throwaway server.
 *
 *   bun scripts/screenshots-landing.ts [--chromium /usr/bin/chromium]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { loadConfig } from '../src/config.ts'
import { startServer } from '../src/server.ts'

const { values } = parseArgs({ options: { chromium: { type: 'string', default: '/usr/bin/chromium' } } })
const SHOTS = [
  { file: 'landing-light.png', width: 1440, colorScheme: 'light' },
  { file: 'landing-dark.png', width: 1440, colorScheme: 'dark' },
  { file: 'landing-mobile.png', width: 375, colorScheme: 'light' },
] as const

const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-shots-'))
const server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, IRONSTAR_ENV: 'test' }))
const browser = await chromium.launch({
  executablePath: values.chromium,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
})
try {
  for (const shot of SHOTS) {
    const page = await browser.newPage({ viewport: { width: shot.width, height: 900 }, colorScheme: shot.colorScheme })
    await page.goto(new URL('/', server.url).href, { waitUntil: 'networkidle' })
    const out = join(import.meta.dir, '../docs/images', shot.file)
    await page.screenshot({ path: out, fullPage: true })
    await page.close()
    console.log(`Wrote ${out}`)
  }
} finally {
  await browser.close()
  await server.stop()
  rmSync(dataDir, { recursive: true, force: true })
}

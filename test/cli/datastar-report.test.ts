import { afterAll, describe, expect, it } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkDatastarBundle } from '../../src/core/web/datastar-pin.ts'
import { runProcess } from '../fixtures/process.ts'
import { APP_FILES, copyProject } from '../fixtures/project-copy.ts'

// doctor, the start line and the build read the project's own assets/vendor/, so each runs in a copy.
const dir = copyProject('ironstar-datastar-', [...APP_FILES, 'scripts', 'build.ts'])
const scratch = mkdtempSync(join(tmpdir(), 'ironstar-datastar-out-'))
rmSync(join(dir, 'assets/vendor'), { recursive: true, force: true })
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
  rmSync(scratch, { recursive: true, force: true })
})

const BUNDLE = '// Datastar v1.0.3\nexport const datastar = "an offline copy of another patch release"\n'
const { sha256 } = checkDatastarBundle(new TextEncoder().encode(BUNDLE))
const env = { PATH: process.env.PATH, HOME: process.env.HOME, IRONSTAR_ENV: 'test', DATA_DIR: join(scratch, 'data') }
const run = (args: string[]) => runProcess(['bun', ...args], { cwd: dir, env })

/** Starts `serve` on a free port and returns its first line of output, then stops it. */
async function startLine(): Promise<string> {
  const child = Bun.spawn(['bun', 'src/main.ts', 'serve'], {
    cwd: dir,
    env: { ...env, PORT: '0' },
    stdout: 'pipe',
    stderr: 'ignore',
  })
  const reader = child.stdout.getReader()
  let text = ''
  while (!text.includes('\n')) {
    const { value, done } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
  }
  child.kill('SIGTERM')
  await child.exited
  return text.split('\n')[0] ?? ''
}

async function vendorUnpinned(): Promise<void> {
  writeFileSync(join(scratch, 'v103.js'), BUNDLE)
  const vendored = await run(['scripts/vendor-datastar.ts', '--from', join(scratch, 'v103.js'), '--unpinned'])
  expect(vendored.code).toBe(0)
}

describe('a Datastar client vendored with --unpinned is named as such everywhere', () => {
  it('by doctor, by the start line and by the build, which embeds it', async () => {
    await vendorUnpinned()
    const doctor = await run(['src/main.ts', 'doctor'])
    expect(doctor.stdout).toContain(`ok   datastar  Datastar: unpinned v1.0.3 (sha256 ${sha256})`)
    expect(doctor.code).toBe(0)

    expect(await startLine()).toContain(`Datastar: unpinned v1.0.3 (sha256 ${sha256})`)

    const build = await run(['build.ts', '--web-only', '--work-dir', join(scratch, 'build')])
    expect(build.code).toBe(0)
    expect(build.stdout).toContain(`Datastar: unpinned v1.0.3 (sha256 ${sha256})`)
    const manifest = JSON.parse(readFileSync(join(scratch, 'build/public/manifest.json'), 'utf8'))
    expect(manifest['vendor/datastar.js']).toMatch(/^vendor\/datastar-[0-9a-f]{8}\.js$/)
    expect(existsSync(join(scratch, 'build/public/vendor/.datastar.json'))).toBe(false) // the record stays home
  }, 30_000)

  it('a copy changed by hand after vendoring fails doctor and is not embedded by the build', async () => {
    await vendorUnpinned()
    writeFileSync(join(dir, 'assets/vendor/datastar.js'), `${BUNDLE}// edited\n`)
    const doctor = await run(['src/main.ts', 'doctor'])
    expect(doctor.code).toBe(1)
    expect(doctor.stdout).toMatch(
      /^FAIL datastar +Datastar: UNCHECKED assets\/vendor\/datastar\.js \(sha256 [0-9a-f]{64}\)/m,
    )
    expect(await startLine()).toContain('Datastar: UNCHECKED')

    const build = await run(['build.ts', '--web-only', '--work-dir', join(scratch, 'refused')])
    expect(build.code).toBe(1)
    expect(build.stderr).toContain('Cannot embed the Datastar client: UNCHECKED')
    expect(existsSync(join(scratch, 'refused/public'))).toBe(false)
  }, 30_000)
})

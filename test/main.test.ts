import { afterAll, describe, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, ROOT, sqliteEnv, waitForOk } from './fixtures/process.ts'
import { makeTempDir } from './fixtures/store.ts'

const dir = makeTempDir('ironstar-main-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('bun run start', () => {
  it('serves /healthz on PORT with a status and the global position, creating DATA_DIR', async () => {
    const port = freePort()
    const dataDir = join(dir, 'nested', 'data')
    const child = Bun.spawn(['bun', 'run', 'start'], {
      cwd: ROOT,
      env: { ...sqliteEnv(), PORT: String(port), DATA_DIR: dataDir, NODE_ENV: 'test' },
      stdout: 'ignore',
      stderr: 'inherit',
    })
    try {
      const response = await waitForOk(`http://127.0.0.1:${port}/healthz`)
      const body = await response.json()
      expect(body).toMatchObject({ status: 'ok', position: 0 })
      expect(await Bun.file(join(dataDir, 'ironstar.sqlite')).exists()).toBe(true)
    } finally {
      child.kill('SIGTERM')
      await child.exited
    }
  }, 20_000)

  it('stops with a message naming the variable when the environment is invalid', async () => {
    const child = Bun.spawn(['bun', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...sqliteEnv(), PORT: 'not-a-port', DATA_DIR: dir },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const code = await child.exited
    expect(code).not.toBe(0)
    expect(await new Response(child.stderr).text()).toContain('PORT')
  })
})

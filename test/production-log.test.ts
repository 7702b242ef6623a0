import { afterAll, describe, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, sqliteEnv } from './fixtures/process.ts'
import { makeTempDir } from './fixtures/store.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** Everything a stream carries, and a promise of its first line. */
function collect(stream: ReadableStream<Uint8Array>) {
  let text = ''
  let sawLine: (line: string) => void = () => {}
  const first = new Promise<string>((resolve) => {
    sawLine = resolve
  })
  const done = (async () => {
    for await (const chunk of stream) {
      text += new TextDecoder().decode(chunk)
      if (text.includes('\n')) sawLine(text.split('\n')[0] ?? '')
    }
    return text
  })()
  return { first, done }
}

describe('a production server', () => {
  it('writes every line as JSON: start, requests, a background failure, an unexpected error, shutdown', async () => {
    const dir = makeTempDir('ironstar-prodlog-')
    dirs.push(dir)
    const child = Bun.spawn(['bun', join(ROOT, 'test/fixtures/production-server.ts')], {
      cwd: ROOT,
      env: {
        ...sqliteEnv(),
        NODE_ENV: 'production',
        IRONSTAR_ENV: 'production',
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dir,
        PUBLIC_ORIGIN: 'http://127.0.0.1',
      },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const stdout = collect(child.stdout)
    const stderr = collect(child.stderr)
    const url = (JSON.parse(await stdout.first) as { url: string }).url
    const origin = new URL(url).origin
    const forbidden = await fetch(new URL('/todos', url), { method: 'POST', headers: { Origin: 'http://evil.test' } })
    expect(forbidden.status).toBe(403)
    expect((await fetch(new URL('/faults/boom', url), { headers: { Host: '127.0.0.1' } })).status).toBe(500)
    const poisoned = await fetch(new URL('/faults/note', url), { method: 'POST', headers: { Origin: origin } })
    expect(poisoned.status).toBe(204)
    await Bun.sleep(200)
    child.kill('SIGTERM')
    expect(await child.exited).toBe(0)

    const output = (await stdout.done) + (await stderr.done)
    const lines = output.split('\n').filter((line) => line.length > 0)
    const records = lines.map((line) => {
      try {
        return JSON.parse(line) as { level: string; msg: string }
      } catch {
        throw new Error(`Not a JSON line: ${line}`)
      }
    })
    const messages = records.map((record) => record.msg)
    expect(messages).toContain('request')
    expect(messages).toContain('unexpected error')
    expect(messages).toContain('Projection "fragile" failed to apply event')
    expect(messages).toContain('Shutting down')
  }, 30_000)
})

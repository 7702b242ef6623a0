import { afterAll, describe, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { openDatabase } from '../src/core/eventsourcing/database.ts'
import { freePort, ROOT, runProcess, sqliteEnv } from './fixtures/process.ts'
import { seedLog } from './fixtures/seed-log.ts'
import { makeTempDir } from './fixtures/store.ts'

const EVENTS = 60_000

interface Probe {
  readonly ms: number
  readonly health: number
  readonly ready: number
  readonly retryAfter: string | null
}

/** `bun src/main.ts serve` over `dir`, probed every few ms from spawn until `/readyz` says 200. */
async function serveAndProbe(dir: string): Promise<{ probes: Probe[]; metrics: string; stop(): Promise<number> }> {
  const port = freePort()
  const base = `http://127.0.0.1:${port}`
  const child = Bun.spawn(['bun', 'src/main.ts', 'serve'], {
    cwd: ROOT,
    env: { ...sqliteEnv(), PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dir, IRONSTAR_ENV: 'test' },
    stdout: 'ignore',
    stderr: 'ignore',
  })
  const status = (path: string) =>
    fetch(base + path).then(
      async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.text() }),
      () => ({ status: 0, retryAfter: null, body: '' }),
    )
  const began = performance.now()
  const probes: Probe[] = []
  for (;;) {
    const [health, ready] = await Promise.all([status('/healthz'), status('/readyz')])
    probes.push({
      ms: performance.now() - began,
      health: health.status,
      ready: ready.status,
      retryAfter: ready.retryAfter,
    })
    if (ready.status === 200) break
    if (performance.now() - began > 30_000) throw new Error('Cannot see the server ready within 30 s')
    await Bun.sleep(5)
  }
  const metrics = (await status('/metrics')).body
  return {
    probes,
    metrics,
    stop: async () => {
      child.kill('SIGTERM')
      return child.exited
    },
  }
}

describe('a restart of the real server over a long log', () => {
  const dir = makeTempDir('ironstar-restart-')
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  seedLog(join(dir, 'ironstar.sqlite'), EVENTS)

  it('is live before its projections have caught up: /healthz 200 while /readyz is 503 with Retry-After', async () => {
    const first = await serveAndProbe(dir)
    expect(await first.stop()).toBe(0)
    const catchingUp = first.probes.filter((p) => p.health === 200 && p.ready === 503)
    expect(catchingUp.length).toBeGreaterThan(0)
    expect(catchingUp.every((p) => p.retryAfter === '1')).toBe(true)
    expect(first.metrics).toContain('ironstar_projection_restored_position{projection="todo-lists"} 0')
  }, 60_000)

  it('starts the next time from the snapshots written at shutdown, folding none of the log again', async () => {
    const second = await serveAndProbe(dir)
    expect(await second.stop()).toBe(0)
    for (const name of ['todo-lists', 'counters', 'sortable-list', 'analytics-query-history']) {
      expect(second.metrics).toContain(`ironstar_projection_restored_position{projection="${name}"} ${EVENTS}`)
    }
  }, 60_000)
})

describe('a start whose projections cannot be built', () => {
  it('ends the process with exit code 1 and the reason, instead of listening with 503s forever', async () => {
    const dir = makeTempDir('ironstar-restart-broken-')
    try {
      const path = join(dir, 'ironstar.sqlite')
      seedLog(path, 10)
      const db = openDatabase(path)
      db.run(`INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, payload, created_at)
        VALUES ('x', 'todo-list', 'gone', 1, 'TodoArchived', '{}', '2026-12-01T00:00:00Z')`)
      db.close()
      const port = String(freePort())
      const env = { ...sqliteEnv(), PORT: port, HOST: '127.0.0.1', DATA_DIR: dir, IRONSTAR_ENV: 'production' }
      const result = await runProcess(['bun', 'src/main.ts', 'serve'], {
        cwd: ROOT,
        env: { ...env, PUBLIC_ORIGIN: 'https://app.example.com' },
      })
      expect(result.code).toBe(1)
      expect(result.stdout + result.stderr).toContain('Cannot read event of unknown type \\"TodoArchived\\"')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

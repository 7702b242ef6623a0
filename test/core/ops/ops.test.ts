import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../src/config.ts'
import { defineSlice } from '../../../src/core/slice.ts'
import { type RunningServer, startServer } from '../../../src/server.ts'
import { addNoteRoute, boardProjection } from '../../fixtures/notes.ts'

const board = boardProjection('ops-board')

/** A bare slice (no shell helpers): one command route and one route with a parameter. */
const opsSlice = defineSlice({
  name: 'ops-probe',
  events: { NoteAdded: {}, BoardRenamed: {} },
  projections: [board],
  routes: () => ({
    ...addNoteRoute(board),
    '/probe/items/:id': { GET: (_req, ctx) => Response.json({ id: ctx.params.id }) },
  }),
})

/** The value of one Prometheus sample line, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('operational endpoints', () => {
  let t: RunningServer
  const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-ops-'))
  beforeAll(async () => {
    t = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, IRONSTAR_ENV: 'test' }), { slices: [opsSlice] })
  })
  afterAll(async () => {
    await t.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('answers /healthz with the global position, uncached', async () => {
    const res = await fetch(new URL('/healthz', t.url))
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toEqual({ status: 'ok', position: 0 })
  })

  it('answers /readyz with 200 once every projection has caught up with the store', async () => {
    const res = await fetch(new URL('/readyz', t.url))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ready', position: 0, projections: { 'ops-board': 0 } })
  })

  it('counts requests by route and status, commands, events and projection lag in /metrics', async () => {
    const post = await fetch(new URL('/notes', t.url), {
      method: 'POST',
      headers: { Origin: t.url.origin },
      redirect: 'manual',
    })
    expect(post.status).toBe(303)
    await fetch(new URL('/probe/items/42', t.url))
    await fetch(new URL('/no/such/page', t.url))

    const res = await fetch(new URL('/metrics', t.url))
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const text = await res.text()
    expect(
      sample(text, 'ironstar_http_requests_total{method="POST",route="/notes",status="303"}'),
    ).toBeGreaterThanOrEqual(1)
    // Route patterns, not raw paths, so an id in the URL cannot blow up the series count.
    expect(
      sample(text, 'ironstar_http_requests_total{method="GET",route="/probe/items/:id",status="200"}'),
    ).toBeGreaterThanOrEqual(1)
    expect(
      sample(text, 'ironstar_http_requests_total{method="GET",route="unmatched",status="404"}'),
    ).toBeGreaterThanOrEqual(1)
    expect(
      sample(text, 'ironstar_command_duration_seconds_count{outcome="ok",stream_type="board"}'),
    ).toBeGreaterThanOrEqual(1)
    expect(sample(text, 'ironstar_events_appended_total')).toBeGreaterThanOrEqual(1)
    expect(sample(text, 'ironstar_projection_lag_events{projection="ops-board"}')).toBe(0)
    expect(sample(text, 'ironstar_sessions')).toBeGreaterThanOrEqual(0)
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000)
    expect(Math.abs((sample(text, 'process_start_time_seconds') ?? 0) - Date.now() / 1000)).toBeLessThan(3_600)
    expect(text).toContain('# TYPE ironstar_sse_connections gauge')
    expect(text).toContain('# TYPE ironstar_sse_held_sockets gauge')
    expect(sample(text, 'ironstar_command_turn_waiting')).toBe(0)
    expect(text).toContain('# TYPE ironstar_command_turn_refused_total counter')
    expect(text).toContain('# TYPE ironstar_ring_lagged_total counter')
  })
})

describe('after a restart, before any command', () => {
  it("reports the log's head as the global position, not 0", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-ops-restart-'))
    const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, IRONSTAR_ENV: 'test' })
    try {
      const first = await startServer(config, { slices: [opsSlice] })
      for (let i = 0; i < 3; i++) {
        const post = await first.fetch(
          new Request(new URL('/notes', first.url), { method: 'POST', headers: { Origin: first.url.origin } }),
        )
        expect(post.status).toBe(303)
      }
      await first.stop()
      const again = await startServer(config, { slices: [opsSlice] })
      try {
        const text = await (await fetch(new URL('/metrics', again.url))).text()
        expect(sample(text, 'ironstar_global_position')).toBe(3)
        expect(sample(text, 'ironstar_projection_lag_events{projection="ops-board"}')).toBe(0)
      } finally {
        await again.stop()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

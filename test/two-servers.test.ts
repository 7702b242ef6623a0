import { afterAll, describe, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { loadConfig } from '../src/config.ts'
import { SseConnection } from '../src/core/testing/sse-client.ts'
import { analyticsService } from '../src/features/analytics/service.ts'
import { type RunningServer, startServer } from '../src/server.ts'
import { makeTempDir } from './fixtures/store.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

async function start(): Promise<RunningServer> {
  const dir = makeTempDir('ironstar-two-')
  dirs.push(dir)
  return startServer(loadConfig({ PORT: '0', DATA_DIR: dir, IRONSTAR_ENV: 'test' }))
}

const metric = async (server: RunningServer, series: string) => {
  const text = await (await fetch(new URL('/metrics', server.url))).text()
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return Number(line?.slice(series.length + 1) ?? Number.NaN)
}

const globalCount = async (server: RunningServer) => {
  const page = await (await fetch(new URL('/counter', server.url))).text()
  return page.match(/id="counter-global"[\s\S]*?<output>([\d,]+)<\/output>/)?.[1]
}

describe('two servers in one process, each with its own DATA_DIR', () => {
  it('keep pages, feeds, metrics and analytics apart, and both shut down cleanly', async () => {
    const a = await start()
    const b = await start()
    const feedA = await SseConnection.open(new URL('/counter/feed', a.url))
    const feedB = await SseConnection.open(new URL('/counter/feed', b.url))
    // The counter feed opens with one patch per fragment: the shared card, then the visitor's.
    for (const feed of [feedA, feedB]) {
      expect((await feed.next())?.data).toContain('elements <article id="counter-global"')
      expect((await feed.next())?.data).toContain('elements <article id="counter-session"')
    }

    const response = await fetch(new URL('/counter/global/increment', a.url), {
      method: 'POST',
      headers: { Origin: a.url.origin },
      redirect: 'manual',
    })
    expect(response.status).toBe(303)

    expect(await globalCount(a)).toBe('1')
    expect(await globalCount(b)).toBe('0')
    expect((await feedA.next())?.data).toContain('<output>1</output>')
    expect(await feedB.next(300)).toBeNull()
    expect(await metric(a, 'ironstar_events_appended_total')).toBe(1)
    expect(await metric(b, 'ironstar_events_appended_total')).toBe(0)
    expect(await metric(a, 'ironstar_command_duration_seconds_count{outcome="ok",stream_type="counter"}')).toBe(1)
    expect(await metric(b, 'ironstar_command_duration_seconds_count{outcome="ok",stream_type="counter"}')).toBeNaN()
    await a.app.resource(analyticsService).analytics.ingestion.waitFor(1)
    expect(b.app.resource(analyticsService).analytics.ingestion.position).toBe(0)
    expect(a.app.feeds.counters().connections).toBe(1)
    expect(b.app.feeds.counters().connections).toBe(1)

    await Promise.all([a.stop(), b.stop()])
    await Promise.all([feedA.finished, feedB.finished])
    expect(() => a.app.db.query('SELECT 1').get()).toThrow()
    expect(() => b.app.db.query('SELECT 1').get()).toThrow()
  }, 20_000)
})

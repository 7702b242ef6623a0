import { Database } from 'bun:sqlite'
import { afterAll, describe, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../src/config.ts'
import { defineSlice } from '../src/core/slice.ts'
import { SseConnection } from '../src/core/testing/sse-client.ts'
import { serveFeed } from '../src/core/web/sse.ts'
import { startServer } from '../src/server.ts'
import { boardProjection, isBoardEvent, notesDecider, renderBoard } from './fixtures/notes.ts'
import { freePort, ROOT, sqliteEnv } from './fixtures/process.ts'
import { makeTempDir } from './fixtures/store.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function probeSlice(gate: Promise<void>) {
  const board = boardProjection('shutdown-board')
  return defineSlice({
    name: 'probe',
    events: { NoteAdded: {}, BoardRenamed: {} },
    projections: [board],
    routes: () => ({
      '/probe/feed': {
        GET: (req, ctx) =>
          serveFeed(req, ctx, {
            key: 'probe',
            isRelevant: isBoardEvent,
            render: () => renderBoard(ctx.app.projection(board).state),
            projections: [ctx.app.projection(board)],
          }),
      },
      '/probe/slow': {
        POST: async (_req, ctx) => {
          await gate // an in-flight command that outlives the shutdown signal
          const result = await ctx.app.commands.handle(
            notesDecider,
            { type: 'board', id: 'b' },
            { type: 'AddNote', text: 'late' },
          )
          await ctx.app.projection(board).waitFor(result.position)
          return new Response(null, { status: 204 })
        },
      },
    }),
  })
}

describe('startServer().stop()', () => {
  it('stops accepting, resets feeds, lets an in-flight command finish durably, then closes the database', async () => {
    const dir = makeTempDir('ironstar-shutdown-')
    dirs.push(dir)
    let open!: () => void
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const running = await startServer(loadConfig({ PORT: '0', DATA_DIR: dir, IRONSTAR_ENV: 'test' }), {
      slices: [probeSlice(gate)],
    })
    const base = running.url.origin
    const feed = await SseConnection.open(`${base}/probe/feed`)
    expect((await feed.next())?.event).toBe('datastar-patch-elements')
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toMatch(/^ironstar_sse_connections 1$/m)
    const command = fetch(`${base}/probe/slow`, { method: 'POST', headers: { Origin: base } })
    await Bun.sleep(50)

    const stopping = running.stop()
    await feed.finished
    expect(feed.endedBy).toBe('error') // a reset, which Datastar retries; a clean end it would not
    expect(running.app.feeds.counters().connections).toBe(0)
    await expect(fetch(`${base}/probe/feed`)).rejects.toThrow() // no longer accepting

    open()
    expect((await command).status).toBe(204)
    await stopping
    expect(() => running.app.db.query('SELECT 1').get()).toThrow() // closed
    const db = new Database(join(dir, 'ironstar.sqlite'), { readonly: true })
    expect(
      db.query<{ n: number }, []>("SELECT count(*) AS n FROM events WHERE event_type = 'NoteAdded'").get()?.n,
    ).toBe(1)
    db.close()
  }, 20_000)
})

describe('SIGTERM', () => {
  it('ends open feeds, the monitor’s included, and exits 0 promptly', async () => {
    const dir = makeTempDir('ironstar-sigterm-')
    dirs.push(dir)
    const port = freePort()
    const child = Bun.spawn(['bun', 'src/main.ts', 'serve'], {
      cwd: ROOT,
      env: { ...sqliteEnv(), PORT: String(port), DATA_DIR: dir, NODE_ENV: 'test' },
      stdout: 'ignore',
      stderr: 'ignore',
    })
    try {
      let feed: SseConnection | null = null
      for (let i = 0; i < 200 && !feed; i++) {
        feed = await SseConnection.open(`http://127.0.0.1:${port}/counter/feed`).catch(() => null)
        if (!feed) await Bun.sleep(50)
      }
      if (!feed) throw new Error('Cannot open the counter feed')
      expect(feed.response.status).toBe(200)
      await feed.next(1_000)
      // The monitor's clock-driven stream lives outside the feed hubs; it must end with them.
      const monitor = await SseConnection.open(`http://127.0.0.1:${port}/monitor/feed`)
      expect(monitor.response.status).toBe(200)
      const signalled = Date.now()
      child.kill('SIGTERM')
      expect(await child.exited).toBe(0)
      expect(Date.now() - signalled).toBeLessThan(5_000) // not the 10 s grace for in-flight requests
      await Promise.all([feed.finished, monitor.finished])
      expect([feed.endedBy, monitor.endedBy]).toEqual(['error', 'error'])
    } finally {
      child.kill('SIGKILL')
    }
  }, 30_000)
})

describe('SQLITE_CACHE_MB', () => {
  it("bounds the page cache of the server's SQLite file (32 MiB unset)", async () => {
    const cacheSize = async (env: Record<string, string>) => {
      const dir = makeTempDir('ironstar-cache-')
      dirs.push(dir)
      const config = loadConfig({ ...sqliteEnv(), DATA_DIR: dir, PORT: String(freePort()), ...env })
      const running = await startServer(config, { slices: [] })
      try {
        return running.app.db.query<{ cache_size: number }, []>('PRAGMA cache_size').get()?.cache_size
      } finally {
        await running.stop()
      }
    }
    // Negative: KiB, not pages.
    expect(await cacheSize({ SQLITE_CACHE_MB: '2' })).toBe(-2048)
    expect(await cacheSize({})).toBe(-32_768)
  })
})

import type { Database } from 'bun:sqlite'
import { afterEach, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../src/config.ts'
import { createLogger } from '../../../src/core/ops/log.ts'
import { defineSlice } from '../../../src/core/slice.ts'
import { type RunningServer, startServer } from '../../../src/server.ts'
import { boardProjection, notesDecider } from '../../fixtures/notes.ts'

const notesSlice = defineSlice({
  name: 'failure-probe',
  events: { NoteAdded: {}, BoardRenamed: {} },
  projections: [boardProjection('failure-board')],
  routes: () => ({
    '/notes': {
      POST: async (_req, ctx) => {
        await ctx.app.commands.handle(notesDecider, { type: 'board', id: 'main' }, { type: 'AddNote', text: 'hi' })
        return new Response(null, { status: 303, headers: { Location: '/notes' } })
      },
    },
    // A command the decider refuses writes no event; the visitor's new session is still stored.
    '/refused': { POST: () => new Response('no', { status: 422 }) },
  }),
})

/** Each fault as the harness injects it, on the server's own connection, and how it is lifted. */
const FAULTS = [
  {
    name: 'a full disk (SQLITE_FULL)',
    message: 'The disk is full: nothing was written, retry later',
    // The file may not grow past the pages it has: the free space left in them takes a few more rows.
    inject: (db: Database) => {
      const { page_count } = db.query<{ page_count: number }, []>('PRAGMA page_count').get() ?? { page_count: 0 }
      db.run(`PRAGMA max_page_count = ${page_count}`)
    },
    lift: (db: Database) => db.run('PRAGMA max_page_count = 1073741823'),
  },
  {
    name: 'a read-only database (SQLITE_READONLY)',
    message: 'The database is read-only: nothing was written, retry later',
    inject: (db: Database) => db.run('PRAGMA query_only = ON'),
    lift: (db: Database) => db.run('PRAGMA query_only = OFF'),
  },
]

/** The status /readyz settles on: polled until 200 or `timeoutMs`. */
async function readyWithin(get: (path: string) => Promise<Response>, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs
  let res = await get('/readyz')
  while (res.status !== 200 && performance.now() < deadline) {
    await res.body?.cancel()
    await Bun.sleep(10)
    res = await get('/readyz')
  }
  await res.body?.cancel()
  return res.status
}

describe('a server whose disk refuses writes for a while', () => {
  let t: RunningServer | undefined
  let dataDir = ''
  afterEach(async () => {
    await t?.stop()
    t = undefined
    rmSync(dataDir, { recursive: true, force: true })
  })

  async function start() {
    dataDir = mkdtempSync(join(tmpdir(), 'ironstar-storage-failure-http-'))
    const lines: Record<string, unknown>[] = []
    const logger = createLogger({ format: 'json', write: (line) => lines.push(JSON.parse(line)) })
    t = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, IRONSTAR_ENV: 'test' }), {
      slices: [notesSlice],
      logger,
    })
    const server = t
    const get = (path: string) => fetch(new URL(path, server.url))
    const post = () =>
      fetch(new URL('/notes', server.url), {
        method: 'POST',
        headers: { Origin: server.url.origin },
        redirect: 'manual',
      })
    const head = async () => ((await (await get('/healthz')).json()) as { position: number }).position
    const storeLines = () => lines.filter((line) => String(line.msg).startsWith('Event store'))
    expect((await post()).status).toBe(303)
    return { db: server.app.db, get, post, head, storeLines }
  }

  for (const fault of FAULTS) {
    it(`answers commands 503 with a clear message during ${fault.name}, and writes again once it passes`, async () => {
      const { db, get, post, head, storeLines } = await start()
      fault.inject(db)
      let refused = await post()
      for (let i = 0; i < 200 && refused.status === 303; i++) refused = await post()
      const before = await head()

      for (let i = 0; i < 3; i++) {
        expect(refused.status).toBe(503)
        expect(refused.headers.get('retry-after')).toBeTruthy()
        const body = await refused.text()
        expect(body).toContain(fault.message)
        // Headed for what it is: the disk, not a busy server.
        expect(body).toContain('<h1>Cannot save right now</h1>')
        expect(body).not.toContain('Busy right now')
        expect(body).not.toContain('Error id')
        refused = await post()
      }
      await refused.body?.cancel()
      expect(await head()).toBe(before) // nothing written

      const ready = await get('/readyz')
      expect(ready.status).toBe(503)
      expect(await ready.json()).toMatchObject({ status: 'storage-failing', storage: fault.message })
      const metrics = await (await get('/metrics')).text()
      const failures = Number(/^ironstar_event_store_write_failures_total (\d+)$/m.exec(metrics)?.[1])
      expect(failures).toBeGreaterThanOrEqual(4)
      // One line for the whole fault period, not one per refused command.
      expect(storeLines()).toEqual([
        expect.objectContaining({
          level: 'error',
          msg: 'Event store cannot write; refusing appends until a commit succeeds',
        }),
      ])

      fault.lift(db)
      expect((await post()).status).toBe(303)
      expect(await head()).toBe(before + 1)
      // Each POST was a new visitor: their sessions failed too, and are written on the retry (1 s).
      expect(await readyWithin(get, 2_000)).toBe(200)
      expect(storeLines()[1]).toMatchObject({ level: 'info', msg: 'Event store writes again', failedCommits: failures })
    })
  }

  it('answers /readyz storage-failing while only session writes fail (commands answered 4xx)', async () => {
    const { db, get } = await start()
    const refused = () =>
      fetch(new URL('/refused', t?.url), { method: 'POST', headers: { Origin: t?.url.origin ?? '' } })
    db.run('PRAGMA query_only = ON')
    expect((await refused()).status).toBe(422) // a new visitor: a session row to write, in the background
    let ready = await get('/readyz')
    for (let i = 0; i < 100 && ready.status === 200; i++) {
      await Bun.sleep(10)
      ready = await get('/readyz')
    }
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({
      status: 'storage-failing',
      storage: 'The database is read-only: nothing was written, retry later',
    })
    db.run('PRAGMA query_only = OFF')
    // The queued session is written on its retry (1 s): ready again.
    expect(await readyWithin(get, 2_000)).toBe(200)
  })
})

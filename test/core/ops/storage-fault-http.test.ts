import { afterEach, describe, expect, it } from 'bun:test'
import { copyFileSync, mkdtempSync, renameSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../src/config.ts'
import { defineSlice } from '../../../src/core/slice.ts'
import { type RunningServer, startServer } from '../../../src/server.ts'
import { boardProjection, notesDecider } from '../../fixtures/notes.ts'

const board = boardProjection('fault-board')

const notesSlice = defineSlice({
  name: 'fault-probe',
  events: { NoteAdded: {}, BoardRenamed: {} },
  projections: [board],
  routes: () => ({
    '/notes': {
      POST: async (_req, ctx) => {
        await ctx.app.commands.handle(notesDecider, { type: 'board', id: 'main' }, { type: 'AddNote', text: 'hi' })
        return new Response(null, { status: 303, headers: { Location: '/notes' } })
      },
    },
  }),
})

describe('a server whose database files are removed or replaced', () => {
  let t: RunningServer | undefined
  let dataDir = ''
  afterEach(async () => {
    await t?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  async function start() {
    dataDir = mkdtempSync(join(tmpdir(), 'ironstar-storage-fault-http-'))
    t = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, IRONSTAR_ENV: 'test' }), { slices: [notesSlice] })
    const server = t
    const post = () =>
      fetch(new URL('/notes', server.url), {
        method: 'POST',
        headers: { Origin: server.url.origin },
        redirect: 'manual',
      })
    expect((await post()).status).toBe(303)
    return { server, post, path: join(dataDir, 'ironstar.sqlite') }
  }

  async function expectWritesRefused(server: RunningServer, post: () => Promise<Response>) {
    const head = async () =>
      ((await (await fetch(new URL('/healthz', server.url))).json()) as { position: number }).position
    const before = await head()
    for (let i = 0; i < 3; i++) {
      const res = await post()
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBeTruthy()
      expect(await res.text()).toContain('removed or replaced while the server ran; restart the server')
    }
    const ready = await fetch(new URL('/readyz', server.url))
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({ status: 'storage-failing', storage: expect.stringContaining('restart') })
    // Reads keep answering.
    expect(await head()).toBe(before)
  }

  it('answers commands and /readyz with 503 once the -wal file was unlinked', async () => {
    const { server, post, path } = await start()
    unlinkSync(`${path}-wal`)
    await expectWritesRefused(server, post)
  })

  it('answers commands and /readyz with 503 once the database file was replaced', async () => {
    const { server, post, path } = await start()
    copyFileSync(path, join(dataDir, 'copy.sqlite'))
    renameSync(join(dataDir, 'copy.sqlite'), path)
    await expectWritesRefused(server, post)
  })
})

import { afterEach, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { loadConfig } from '../../../../src/config.ts'
import { RuleViolation } from '../../../../src/core/errors.ts'
import type { Decider } from '../../../../src/core/eventsourcing/decider.ts'
import { defineSlice } from '../../../../src/core/slice.ts'
import { commandRoute } from '../../../../src/core/web/http/command.ts'
import { type RunningServer, startServer } from '../../../../src/server.ts'
import { makeNotesSlice } from './test-slice.ts'

type Claim = { type: 'Claimed'; data: { by: string } }
/** Claiming a stream a second time is refused: a 409 that a replay must repeat. */
const claims: Decider<boolean, { by: string }, Claim> = {
  initialState: () => false,
  decide(claimed, { by }) {
    if (claimed) throw new RuleViolation('Cannot claim: already claimed')
    return { type: 'Claimed', data: { by } }
  },
  evolve: () => true,
}

/** Routes whose pace the test sets: `/slow` runs its command once `release()` is called. */
function gatedSlice() {
  let release = () => {}
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const slice = defineSlice({
    name: 'gated',
    events: { Claimed: {} },
    routes: {
      '/slow': {
        POST: commandRoute({
          input: z.object({ by: z.string() }),
          async handle({ by }, ctx) {
            await gate
            return ctx.app.commands.handle(claims, { type: 'slow', id: Bun.randomUUIDv7() }, { by })
          },
        }),
      },
      '/claim/:id': {
        POST: commandRoute({
          input: z.object({ by: z.string() }),
          handle: ({ by }, ctx) => ctx.app.commands.handle(claims, { type: 'claim', id: ctx.params.id ?? '' }, { by }),
        }),
      },
    },
  })
  return { slice, release: () => release() }
}

interface App {
  readonly server: RunningServer
  readonly release: () => void
}

const dirs: string[] = []
const servers: RunningServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ironstar-idempotency-'))
  dirs.push(dir)
  return dir
}

async function start(dir = dataDir(), env: Record<string, string> = {}): Promise<App> {
  const config = loadConfig({ PORT: '0', DATA_DIR: dir, IRONSTAR_ENV: 'test', ...env })
  const gated = gatedSlice()
  const server = await startServer(config, { slices: [makeNotesSlice(), gated.slice], listen: false })
  servers.push(server)
  return { server, release: gated.release }
}

async function stop(app: App): Promise<void> {
  servers.splice(servers.indexOf(app.server), 1)
  await app.server.stop()
}

/** A visitor's session cookie, from a page view (stored by its first command). */
async function sessionOf(app: App): Promise<string> {
  const response = await app.server.fetch(new Request('http://localhost/probe/session'))
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
}

interface Post {
  readonly key?: string
  readonly cookie: string
  readonly body?: Record<string, string>
  readonly datastar?: boolean
}

function post(app: App, path: string, { key, cookie, body = {}, datastar = false }: Post): Promise<Response> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Origin: 'http://localhost',
    Cookie: cookie,
    ...(key === undefined ? {} : { 'Idempotency-Key': key }),
    ...(datastar ? { 'Datastar-Request': 'true' } : {}),
  }
  const init = { method: 'POST', headers, body: new URLSearchParams(body).toString(), redirect: 'manual' as const }
  return app.server.fetch(new Request(`http://localhost${path}`, init))
}

const events = (app: App) => app.server.app.store.headPosition()
const count = (app: App, sql: string) => app.server.app.db.query<{ n: number }, []>(sql).get()?.n

describe('Idempotency-Key on a command', () => {
  it('answers a retry with the first answer and writes nothing (plain form and Datastar)', async () => {
    const app = await start()
    const cookie = await sessionOf(app)
    const first = await post(app, '/notes', { key: 'add-1', cookie, body: { text: 'hello' } })
    expect(first.status).toBe(303)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    const retry = await post(app, '/notes', { key: 'add-1', cookie, body: { text: 'hello' } })
    expect(retry.status).toBe(303)
    expect(retry.headers.get('location')).toBe(first.headers.get('location'))
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    expect(await events(app)).toBe(1)

    const datastar = { key: 'add-2', cookie, body: { text: 'again' }, datastar: true }
    expect((await post(app, '/notes', datastar)).status).toBe(204)
    const replayed = await post(app, '/notes', datastar)
    expect(replayed.status).toBe(204)
    expect(replayed.headers.get('idempotent-replayed')).toBe('true')
    expect(await events(app)).toBe(2)
    // Without a key, the same request is a new command.
    expect((await post(app, '/notes', { cookie, body: { text: 'hello' } })).status).toBe(303)
    expect(await events(app)).toBe(3)
  })

  it('replays a refusal too: the same 422 page, the same 409', async () => {
    const app = await start()
    const cookie = await sessionOf(app)
    const refused = await post(app, '/notes', { key: 'empty', cookie, body: { text: ' ' } })
    expect(refused.status).toBe(422)
    const page = await refused.text()
    expect(page).toContain('Write something first')
    const again = await post(app, '/notes', { key: 'empty', cookie, body: { text: ' ' } })
    expect(again.status).toBe(422)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(await again.text()).toBe(page)

    expect((await post(app, '/claim/a', { key: 'c1', cookie, body: { by: 'ada' } })).status).toBe(303)
    const taken = await post(app, '/claim/a', { key: 'c2', cookie, body: { by: 'ada' } })
    expect(taken.status).toBe(409)
    const retaken = await post(app, '/claim/a', { key: 'c2', cookie, body: { by: 'ada' } })
    expect(retaken.status).toBe(409)
    expect(retaken.headers.get('idempotent-replayed')).toBe('true')
    expect(await retaken.text()).toContain('Cannot claim: already claimed')
    expect(await events(app)).toBe(1)
  })

  it('refuses another body under the same key with a 422 and writes nothing', async () => {
    const app = await start()
    const cookie = await sessionOf(app)
    expect((await post(app, '/notes', { key: 'k', cookie, body: { text: 'first' } })).status).toBe(303)
    const other = await post(app, '/notes', { key: 'k', cookie, body: { text: 'second' } })
    expect(other.status).toBe(422)
    expect(await other.text()).toContain('Cannot reuse this Idempotency-Key for a different request')
    const board = await (await app.server.fetch(new Request('http://localhost/notes'))).text()
    expect(board).toContain('first')
    expect(board).not.toContain('second')
    expect(await events(app)).toBe(1)
  })

  it('treats the key as new once the window has passed, and sweeps what expired', async () => {
    const app = await start(dataDir(), { IDEMPOTENCY_WINDOW_SECONDS: '1' })
    const cookie = await sessionOf(app)
    expect((await post(app, '/notes', { key: 'k', cookie, body: { text: 'one' } })).status).toBe(303)
    expect((await post(app, '/notes', { key: 'other', cookie, body: { text: 'two' } })).status).toBe(303)
    await Bun.sleep(1_100)
    const later = await post(app, '/notes', { key: 'k', cookie, body: { text: 'one' } })
    expect(later.status).toBe(303)
    expect(later.headers.get('idempotent-replayed')).toBeNull()
    expect(await events(app)).toBe(3)
    // The record just made swept the expired key ("other") and its command id: both tables stay bounded.
    expect(count(app, 'SELECT count(*) AS n FROM idempotent_requests')).toBe(1)
    expect(count(app, "SELECT count(*) AS n FROM command_log WHERE command_id LIKE 'idem:%'")).toBe(1)
  })

  it('answers a retry while the first is still running with 409 and Retry-After, then the first answer', async () => {
    const app = await start()
    const cookie = await sessionOf(app)
    const first = post(app, '/slow', { key: 'slow-1', cookie, body: { by: 'ada' } })
    await Bun.sleep(20)
    const during = await post(app, '/slow', { key: 'slow-1', cookie, body: { by: 'ada' } })
    expect(during.status).toBe(409)
    expect(during.headers.get('retry-after')).toBe('1')
    expect(await during.text()).toContain('still running')
    app.release()
    expect((await first).status).toBe(303)
    const after = await post(app, '/slow', { key: 'slow-1', cookie, body: { by: 'ada' } })
    expect(after.status).toBe(303)
    expect(after.headers.get('idempotent-replayed')).toBe('true')
    expect(await events(app)).toBe(1)
  })

  it('refuses an invalid key with a 400 and writes nothing', async () => {
    const app = await start()
    const cookie = await sessionOf(app)
    for (const key of ['', 'two words', 'x'.repeat(256), 'tab\there', 'a, b']) {
      const response = await post(app, '/notes', { key, cookie, body: { text: 'hi' } })
      expect(response.status).toBe(400)
      expect(await response.text()).toContain('Cannot read Idempotency-Key')
    }
    expect((await post(app, '/notes', { key: 'x'.repeat(255), cookie, body: { text: 'hi' } })).status).toBe(303)
    expect(await events(app)).toBe(1)
  })

  it('keeps the same key apart across sessions and routes', async () => {
    const app = await start()
    const [ada, bob] = [await sessionOf(app), await sessionOf(app)]
    expect((await post(app, '/notes', { key: 'same', cookie: ada, body: { text: 'ada' } })).status).toBe(303)
    const other = await post(app, '/notes', { key: 'same', cookie: bob, body: { text: 'bob' } })
    expect(other.status).toBe(303)
    expect(other.headers.get('idempotent-replayed')).toBeNull()
    const route = await post(app, '/claim/x', { key: 'same', cookie: ada, body: { by: 'ada' } })
    expect(route.status).toBe(303)
    expect(route.headers.get('idempotent-replayed')).toBeNull()
    expect(await events(app)).toBe(3)
  })

  it('replays the first answer after a restart on the same data directory', async () => {
    const dir = dataDir()
    const before = await start(dir)
    const cookie = await sessionOf(before)
    expect((await post(before, '/notes', { key: 'k', cookie, body: { text: 'kept' } })).status).toBe(303)
    await stop(before)
    const after = await start(dir)
    const retry = await post(after, '/notes', { key: 'k', cookie, body: { text: 'kept' } })
    expect(retry.status).toBe(303)
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    expect(await events(after)).toBe(1)
  })

  it('writes nothing twice when the server stopped between the commit and recording the answer', async () => {
    const dir = dataDir()
    const before = await start(dir)
    const cookie = await sessionOf(before)
    expect((await post(before, '/claim/z', { key: 'k', cookie, body: { by: 'ada' } })).status).toBe(303)
    // What a crash after the commit leaves: the events and their command ids, no recorded answer.
    before.server.app.db.run('DELETE FROM idempotent_requests')
    await stop(before)
    const after = await start(dir)
    // Deciding again would refuse (already claimed): the retry gets the first outcome instead.
    const retry = await post(after, '/claim/z', { key: 'k', cookie, body: { by: 'ada' } })
    expect(retry.status).toBe(303)
    expect(await events(after)).toBe(1)
  })
})

import { afterEach, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../../src/config.ts'
import { createLogger } from '../../../../src/core/ops/log.ts'
import { TokenBuckets } from '../../../../src/core/web/http/rate-limit.ts'
import { type RunningServer, startServer } from '../../../../src/server.ts'
import { makeNotesSlice } from './test-slice.ts'

const dirs: string[] = []
const servers: RunningServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

interface App {
  readonly server: RunningServer
  readonly lines: string[]
}

async function start(env: Record<string, string>, listen = false): Promise<App> {
  const dir = mkdtempSync(join(tmpdir(), 'ironstar-rate-limit-'))
  dirs.push(dir)
  const config = loadConfig({ PORT: '0', DATA_DIR: dir, IRONSTAR_ENV: 'test', ...env })
  const lines: string[] = []
  const logger = createLogger({ write: (line) => lines.push(line) })
  const server = await startServer(config, { slices: [makeNotesSlice()], listen, logger })
  servers.push(server)
  return { server, lines }
}

/** A visitor's session cookie, from a page view. */
async function sessionOf(app: App): Promise<string> {
  const response = await app.server.fetch(new Request('http://localhost/probe/session'))
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
}

function addNote(app: App, cookie: string, { datastar = false } = {}): Promise<Response> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Origin: 'http://localhost',
    Cookie: cookie,
    ...(datastar ? { 'Datastar-Request': 'true' } : {}),
  }
  const init = { method: 'POST', headers, body: 'text=hello', redirect: 'manual' as const }
  return app.server.fetch(new Request('http://localhost/notes', init))
}

const events = (app: App) => app.server.app.store.headPosition()

async function metric(app: App, scope: string): Promise<number> {
  // Through the server's own address: a listening server answers only for it.
  const text = await (await app.server.fetch(new Request(new URL('/metrics', app.server.url)))).text()
  const line = text.split('\n').find((l) => l.startsWith(`ironstar_rate_limited_total{scope="${scope}"}`))
  return Number(line?.split(' ')[1] ?? 0)
}

describe('rate limits on commands', () => {
  it('answers a burst past the session bucket with 429 and Retry-After, writes nothing, and refills', async () => {
    const app = await start({ RATE_LIMIT_PER_SESSION: '3/5' })
    const cookie = await sessionOf(app)
    for (let i = 0; i < 3; i++) expect((await addNote(app, cookie)).status).toBe(303)
    const refused = await addNote(app, cookie)
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(await refused.text()).toContain('Too many requests from this session')
    expect(await events(app)).toBe(3)

    // Another session has its own bucket; reads are never limited.
    expect((await addNote(app, await sessionOf(app))).status).toBe(303)
    for (let i = 0; i < 5; i++) expect((await app.server.fetch(new Request('http://localhost/notes'))).status).toBe(200)

    expect((await addNote(app, cookie)).status).toBe(429)
    expect(await metric(app, 'session')).toBe(2)
    // Two refusals of one client inside the window: one log line.
    expect(app.lines.filter((l) => l.includes('Rate limited'))).toHaveLength(1)

    await Bun.sleep(250) // 5 a second: one token back
    expect((await addNote(app, cookie)).status).toBe(303)
    expect(await events(app)).toBe(5)
  })

  it('puts commands without a session in one bucket of their own, which a fresh cookie does not refill', async () => {
    const app = await start({ RATE_LIMIT_PER_SESSION: '2/1', RATE_LIMIT_PER_IP: '0' })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await addNote(app, '')).status)
    expect(statuses).toEqual([303, 303, 429, 429, 429, 429])
    const refused = await addNote(app, 'session=not-a-token')
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(await refused.text()).toContain('Too many requests from clients without a session')
    expect(refused.headers.get('set-cookie')).toBeNull()
    expect(await events(app)).toBe(2)
    expect(await metric(app, 'sessionless')).toBe(5)
    expect(await metric(app, 'session')).toBe(0)

    // A visitor with a session keeps a bucket of its own.
    expect((await addNote(app, await sessionOf(app))).status).toBe(303)
  })

  it('sizes the bucket without a session with RATE_LIMIT_SESSIONLESS, and 0 turns it off', async () => {
    const sized = await start({ RATE_LIMIT_PER_SESSION: '2/1', RATE_LIMIT_SESSIONLESS: '3/1' })
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await addNote(sized, '')).status)
    expect(statuses).toEqual([303, 303, 303, 429])

    const off = await start({ RATE_LIMIT_PER_SESSION: '2/1', RATE_LIMIT_SESSIONLESS: '0' })
    for (let i = 0; i < 4; i++) expect((await addNote(off, '')).status).toBe(303)
  })

  it('answers a Datastar command with the toast form of the 429', async () => {
    const app = await start({ RATE_LIMIT_PER_SESSION: '1/1' })
    const cookie = await sessionOf(app)
    expect((await addNote(app, cookie, { datastar: true })).status).toBe(204)
    const refused = await addNote(app, cookie, { datastar: true })
    expect(refused.headers.get('ironstar-status')).toBe('429')
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(await refused.text()).toContain('Too many requests')
    expect(await events(app)).toBe(1)
  })

  it('limits nothing when set to 0', async () => {
    const app = await start({ RATE_LIMIT_PER_SESSION: '0', RATE_LIMIT_PER_IP: '0' })
    const cookie = await sessionOf(app)
    // More than the default session burst (120): a 0 that fell back to the default would refuse some.
    for (let i = 0; i < 125; i++) expect((await addNote(app, cookie)).status).toBe(303)
    expect(await metric(app, 'session')).toBe(0)
  })

  it('limits a client IP over a real socket, whatever session it sends', async () => {
    const app = await start({ RATE_LIMIT_PER_SESSION: '0', RATE_LIMIT_PER_IP: '2/1' }, true)
    const url = new URL('/notes', app.server.url)
    const send = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: app.server.url.origin },
        body: 'text=hello',
        redirect: 'manual',
      })
    expect((await send()).status).toBe(303)
    expect((await send()).status).toBe(303)
    const refused = await send()
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(await refused.text()).toContain('Too many requests from this address')
    expect(await events(app)).toBe(2)
    expect(await metric(app, 'ip')).toBe(1)
  })
})

describe('TokenBuckets', () => {
  it('keeps at most maxEntries clients, dropping the least recently seen', () => {
    const buckets = new TokenBuckets({ burst: 1, perSecond: 1 }, { maxEntries: 2 })
    expect(buckets.take('a', 0).allowed).toBe(true)
    expect(buckets.take('b', 0).allowed).toBe(true)
    expect(buckets.take('a', 0)).toEqual({ allowed: false, retryAfterSeconds: 1 })
    expect(buckets.take('c', 0).allowed).toBe(true) // drops b, the least recent
    expect(buckets.size).toBe(2)
    expect(buckets.take('b', 0).allowed).toBe(true) // b starts again with a full bucket
  })

  it('says how many whole seconds until a token is back', () => {
    const buckets = new TokenBuckets({ burst: 1, perSecond: 0.25 }, { maxEntries: 10 })
    buckets.take('a', 0)
    expect(buckets.take('a', 1000)).toEqual({ allowed: false, retryAfterSeconds: 3 })
  })
})

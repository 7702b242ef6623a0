import { afterEach, beforeEach, describe, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../src/config.ts'
import { openDatabase } from '../src/core/eventsourcing/database.ts'
import { migrate } from '../src/core/eventsourcing/migrations.ts'
import { defineProjection } from '../src/core/eventsourcing/projections.ts'
import { defineResource } from '../src/core/runtime.ts'
import { defineSlice } from '../src/core/slice.ts'
import { migrations } from '../src/migrations.ts'
import { type RunningServer, startServer } from '../src/server.ts'
import { makeTempDir } from './fixtures/store.ts'

/** A slice whose resource starts only when the test says so: a start-up that takes as long as the test likes. */
function slowSlice() {
  const release = Promise.withResolvers<void>()
  const resource = defineResource({ name: 'slow-resource', start: () => release.promise.then(() => 'started') })
  const slice = defineSlice({
    name: 'slow',
    resources: [resource],
    routes: { '/slow': { GET: (_req, ctx) => new Response(`resource ${ctx.app.resource(resource)}`) } },
  })
  return { slice, release: () => release.resolve() }
}

/** A projection that takes about `ms` per event to fold, over `count` events written straight into the log. */
function slowProjectionOver(dir: string, count: number, ms: number) {
  const db = openDatabase(join(dir, 'ironstar.sqlite'))
  migrate(db, migrations)
  const insert =
    db.query(`INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, payload, created_at)
    VALUES (?, 'tick', 'one', ?, 'Ticked', '{}', '2026-12-01T00:00:00Z')`)
  db.transaction(() => {
    for (let version = 1; version <= count; version++) insert.run(crypto.randomUUID(), version)
  })()
  db.close()
  const ticks = defineProjection<number>({
    name: 'slow-ticks',
    events: ['Ticked'],
    initial: () => 0,
    apply: (n) => {
      const until = performance.now() + ms
      while (performance.now() < until) {} // a fold that takes its time
      return n + 1
    },
  })
  return defineSlice({
    name: 'ticks',
    projections: [ticks],
    routes: { '/ticks': { GET: () => new Response('ticks') } },
  })
}

const quickSlice = defineSlice({ name: 'quick', routes: { '/quick': { GET: () => new Response('quick') } } })

describe('start-up: the port is open before projections and resources are ready', () => {
  let server: RunningServer | undefined
  let release = () => {}
  let dir = ''
  let config = loadConfig({})
  const get = (path: string) => fetch(new URL(path, server?.url))
  beforeEach(() => {
    dir = makeTempDir('ironstar-startup-')
    config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, IRONSTAR_ENV: 'test' })
  })
  afterEach(async () => {
    release()
    await server?.stop()
    server = undefined
    rmSync(dir, { recursive: true, force: true })
  })

  async function startSlow() {
    const slow = slowSlice()
    release = slow.release
    server = await startServer(config, { slices: [quickSlice, slow.slice], waitUntilReady: false })
    return { get, release }
  }

  it('answers /healthz at once and /readyz 503 with Retry-After until everything has started', async () => {
    const { get, release } = await startSlow()
    const health = await get('/healthz')
    expect(health.status).toBe(200)
    const notReady = await get('/readyz')
    expect(notReady.status).toBe(503)
    expect(notReady.headers.get('retry-after')).toBe('1')
    expect(((await notReady.json()) as { status: string }).status).toBe('starting')
    release()
    await server?.ready
    expect((await get('/readyz')).status).toBe(200)
  })

  it("serves a slice whose projections are ready while another slice's are not", async () => {
    const { get } = await startSlow()
    const quick = await get('/quick')
    expect(quick.status).toBe(200)
    expect(await quick.text()).toBe('quick')
  })

  it('holds a request for a starting slice until it is ready, then serves it', async () => {
    const { get, release } = await startSlow()
    const pending = get('/slow')
    await Bun.sleep(100)
    release()
    const answer = await pending
    expect(answer.status).toBe(200)
    expect(await answer.text()).toBe('resource started')
  })

  it('answers 503 with Retry-After once the wait for a starting slice passes its bound, and nothing ran', async () => {
    const { get } = await startSlow()
    const started = performance.now()
    const answer = await get('/slow')
    expect(answer.status).toBe(503)
    expect(answer.headers.get('retry-after')).toBe('1')
    expect(await answer.text()).toContain('The server is starting')
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_900)
  })

  it('stops while a projection still catches up: it gives up after its page, and waiting requests get 503', async () => {
    const slice = slowProjectionOver(dir, 5_000, 0.5) // about 2.5 s to fold, in pages of 1,000
    server = await startServer(config, { slices: [slice], waitUntilReady: false })
    const pending = get('/ticks')
    await Bun.sleep(50)
    const started = performance.now()
    const running = server
    server = undefined
    const [answer] = await Promise.all([pending, running.stop()])
    expect(answer.status).toBe(503)
    expect(performance.now() - started).toBeLessThan(2_000) // not the whole fold: one page at most
    await expect(running.ready).rejects.toThrow('shutting down')
  })
})

import type { Database } from 'bun:sqlite'
import { afterEach, describe, expect, it } from 'bun:test'
import { copyFileSync, mkdtempSync, renameSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../src/config.ts'
import { StorageFaultError } from '../../../src/core/errors.ts'
import { openDatabase } from '../../../src/core/eventsourcing/database.ts'
import { migrate } from '../../../src/core/eventsourcing/migrations.ts'
import { createLogger } from '../../../src/core/ops/log.ts'
import { defineSlice } from '../../../src/core/slice.ts'
import { SessionStore } from '../../../src/core/web/session.ts'
import { migrations } from '../../../src/migrations.ts'
import { type RunningServer, startServer } from '../../../src/server.ts'

const unlinkWal = (path: string) => unlinkSync(`${path}-wal`)
function replaceDatabase(path: string): void {
  copyFileSync(path, `${path}.copy`)
  renameSync(`${path}.copy`, path)
}

describe('SessionStore when its database files are removed or replaced', () => {
  let dir = ''
  let db: Database | undefined
  afterEach(() => {
    db?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  function open() {
    dir = mkdtempSync(join(tmpdir(), 'ironstar-session-fault-'))
    const path = join(dir, 'ironstar.sqlite')
    db = openDatabase(path)
    migrate(db, migrations)
    const lines: string[] = []
    const log = createLogger({ write: (line) => lines.push(line) })
    const store = new SessionStore(db, { sweepIntervalMs: 0, flushIntervalMs: 5, retryMs: 20, log })
    const written = store.resolve(undefined).session
    store.flush()
    return { path, store, lines, written }
  }

  for (const [fault, inject, what] of [
    ['the -wal file was unlinked', unlinkWal, /write-ahead log/],
    ['the database file was replaced', replaceDatabase, /database file/],
  ] as const) {
    it(`refuses every write once ${fault}, keeps queued sessions visible and never throws from its timer`, async () => {
      const { path, store, lines, written } = open()
      expect(store.storageFault()).toBeNull()
      inject(path)

      const queued = Array.from({ length: 20 }, () => store.resolve(undefined).session)
      await Bun.sleep(80) // the timer's write and a few retries are refused; nothing throws
      expect(store.counters().writeFailures).toBeGreaterThanOrEqual(2)
      expect(store.storageFault()).toBeInstanceOf(StorageFaultError)
      expect(store.storageFault()?.message).toMatch(what)
      expect(store.storageFault()?.message).toMatch(/^Cannot write sessions: .*restart the server$/)
      for (const session of queued.slice(0, 3)) expect(store.resolve(session.token).session.id).toBe(session.id)

      // What a request waits for is refused, not acknowledged: a rotation (a sign-in) and a flush.
      expect(() => store.rotate(written)).toThrow(StorageFaultError)
      expect(() => store.flush()).toThrow(StorageFaultError)
      expect(() => store.sweep()).toThrow(StorageFaultError)
      expect(store.resolve(written.token).session.id).toBe(written.id) // the old token still works

      // One line for the fault, not one per retry.
      const errors = lines.map((line) => JSON.parse(line)).filter((line) => line.level === 'error')
      expect(errors.map((e) => e.msg)).toEqual(['Session store refuses all further writes'])
      // Shutdown does not throw either: what cannot be written is dropped and said so.
      store.close()
      expect(JSON.parse(lines.at(-1) ?? '{}')).toMatchObject({ msg: expect.stringContaining('at shutdown') })
    })
  }

  it('keeps writing while the files stay in place', async () => {
    const { store } = open()
    const session = store.resolve(undefined).session
    expect(store.rotate(session).id).toBe(session.id)
    expect(store.storageFault()).toBeNull()
    expect(store.counters().writeFailures).toBe(0)
    store.close()
  })
})

// A POST that stores a session (a visitor's first write) but appends no event: only the session
// store can notice the fault, and /readyz must say so.
const probe = defineSlice({
  name: 'session-fault-probe',
  routes: { '/probe/write': { POST: (_req, ctx) => new Response(ctx.session.id, { status: 200 }) } },
})

describe('a server whose session writes are refused', () => {
  let server: RunningServer | undefined
  let dataDir = ''
  afterEach(async () => {
    await server?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('answers /readyz with 503 storage-failing once a session write met a replaced WAL, and keeps serving', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ironstar-session-fault-http-'))
    const lines: string[] = []
    server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, IRONSTAR_ENV: 'test' }), {
      slices: [probe],
      logger: createLogger({ write: (line) => lines.push(line) }),
    })
    const url = (path: string) => new URL(path, server?.url)
    expect((await fetch(url('/readyz'))).status).toBe(200)
    unlinkWal(join(dataDir, 'ironstar.sqlite'))

    const write = await fetch(url('/probe/write'), { method: 'POST', headers: { Origin: server.url.origin } })
    expect(write.status).toBe(200)
    const until = performance.now() + 2_000
    while (performance.now() < until && (await fetch(url('/readyz'))).status === 200) {
      await Bun.sleep(10)
    }
    const ready = await fetch(url('/readyz'))
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({ status: 'storage-failing', storage: expect.stringMatching(/sessions/) })
    const metrics = await (await fetch(url('/metrics'))).text()
    expect(metrics).toMatch(/^ironstar_session_write_failures_total [1-9]\d*$/m)
    expect((await fetch(url('/healthz'))).status).toBe(200)
  })
})

import type { Database } from 'bun:sqlite'
import { afterEach, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StorageFaultError } from '../../../src/core/errors.ts'
import { openDatabase } from '../../../src/core/eventsourcing/database.ts'
import { migrate } from '../../../src/core/eventsourcing/migrations.ts'
import { createLogger } from '../../../src/core/ops/log.ts'
import { SessionStore, type SessionStoreOptions } from '../../../src/core/web/session.ts'
import { migrations } from '../../../src/migrations.ts'

// A full disk, as SQLite sees it: the file may not grow past the pages it has (SQLITE_FULL).
function fillUp(db: Database): void {
  const { page_count } = db.query('PRAGMA page_count').get() as { page_count: number }
  db.exec(`PRAGMA max_page_count = ${page_count}`)
}

const rows = (db: Database) => (db.query('SELECT count(*) AS n FROM sessions').get() as { n: number }).n

describe('SessionStore on a full disk', () => {
  let dir = ''
  let db: Database | undefined
  afterEach(() => {
    db?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  function open(maxPending = 1_000, options: SessionStoreOptions = {}) {
    dir = mkdtempSync(join(tmpdir(), 'ironstar-session-full-'))
    db = openDatabase(join(dir, 'ironstar.sqlite'))
    migrate(db, migrations)
    const lines: string[] = []
    const log = createLogger({ write: (line) => lines.push(line) })
    const store = new SessionStore(db, {
      sweepIntervalMs: 0,
      flushIntervalMs: 5,
      retryMs: 20,
      maxPending,
      log,
      ...options,
    })
    return { db, store, lines }
  }

  it('keeps sessions queued and visible while writes fail, then writes them when space returns', async () => {
    const { db, store, lines } = open()
    fillUp(db)
    const sessions = Array.from({ length: 200 }, () => store.resolve(undefined).session)
    await Bun.sleep(100) // the timer's write fails, and so does at least one retry; nothing throws
    expect(store.counters().writeFailures).toBeGreaterThanOrEqual(2)
    expect(rows(db)).toBe(0)
    // Readiness hears of it, though no command failed: the store's fault is the disk's.
    expect(store.storageFault()).toBeInstanceOf(StorageFaultError)
    expect(store.storageFault()?.message).toBe('The disk is full: nothing was written, retry later')
    const failure = JSON.parse(lines[0] ?? '{}')
    expect(failure).toMatchObject({ level: 'error', msg: 'Cannot write sessions; keeping them queued and retrying' })
    // Queued sessions still resolve to themselves: their visitors keep their data meanwhile.
    for (const session of sessions.slice(0, 5)) expect(store.resolve(session.token).session.id).toBe(session.id)

    db.exec('PRAGMA max_page_count = 1073741823')
    const until = performance.now() + 2_000
    while (rows(db) < sessions.length && performance.now() < until) await Bun.sleep(10)
    expect(rows(db)).toBe(sessions.length)
    expect(store.counters().dropped).toBe(0)
    expect(store.storageFault()).toBeNull() // a write succeeded: readiness back
    // Every failed attempt counted; one line when writes failed and one when they worked again.
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      { level: 'error', msg: 'Cannot write sessions; keeping them queued and retrying' },
      { level: 'info', msg: 'Sessions are written again', failures: store.counters().writeFailures },
    ])
    store.close()
  })

  it('stays within its bound while the disk refuses writes, dropping the oldest and counting them', async () => {
    const { db, store } = open(50)
    fillUp(db)
    for (let i = 0; i < 40; i++) store.resolve(undefined)
    await Bun.sleep(30) // a failed write: the queue is now waiting to retry
    for (let i = 0; i < 100; i++) store.resolve(undefined)
    expect(store.counters().dropped).toBeGreaterThan(0)
    db.exec('PRAGMA max_page_count = 1073741823')
    const until = performance.now() + 2_000
    while (rows(db) === 0 && performance.now() < until) await Bun.sleep(10)
    expect(rows(db)).toBeLessThanOrEqual(50)
    expect(rows(db) + store.counters().dropped).toBe(140)
    store.close()
  })

  it('reports a failed write for reportFailureForMs after the last one, not for good', async () => {
    const { db, store } = open(1_000, { flushIntervalMs: 60_000, retryMs: 60_000, reportFailureForMs: 50 })
    db.exec('PRAGMA query_only = ON')
    store.resolve(undefined)
    expect(() => store.flush()).toThrow()
    expect(store.storageFault()?.message).toBe('The database is read-only: nothing was written, retry later')
    await Bun.sleep(80) // no write tried since: the next one may well succeed
    expect(store.storageFault()).toBeNull()
    db.exec('PRAGMA query_only = OFF')
    store.close()
    expect(rows(db)).toBe(1)
  })
})

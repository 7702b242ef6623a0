import type { Database } from 'bun:sqlite'
import { afterEach, beforeEach, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../../src/core/eventsourcing/database.ts'
import { migrate } from '../../../src/core/eventsourcing/migrations.ts'
import { SessionStore } from '../../../src/core/web/session.ts'
import { migrations } from '../../../src/migrations.ts'

let dir: string
let db: Database
let now: number
let store: SessionStore

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ironstar-session-'))
  db = openDatabase(join(dir, 'test.sqlite'))
  migrate(db, migrations)
  now = 1_700_000_000_000
  store = new SessionStore(db, { maxAgeSeconds: 60, touchIntervalMs: 10_000, sweepIntervalMs: 0, now: () => now })
})

afterEach(() => {
  store.close()
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

const lastAccessed = () =>
  db.query<{ last_accessed: number }, []>('SELECT last_accessed FROM sessions').get()?.last_accessed

describe('SessionStore', () => {
  it('stores only a hash of the token', () => {
    const session = store.create()
    store.flush()
    const row = db.query<{ token_hash: string; id: string }, []>('SELECT token_hash, id FROM sessions').get()
    expect(row?.token_hash).not.toBe(session.token)
    expect(row?.token_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(row?.id).toBe(session.id)
  })

  it('never adopts an expired token', () => {
    const session = store.create()
    now += 61_000
    const resolved = store.resolve(session.token)
    expect(resolved.isNew).toBe(true)
    expect(resolved.session.token).not.toBe(session.token)
    expect(resolved.session.id).not.toBe(session.id)
  })

  it('refuses malformed tokens without a lookup', () => {
    expect(store.resolve("x' OR 1=1 --").isNew).toBe(true)
    expect(store.resolve('').isNew).toBe(true)
  })

  it('throttles last_accessed writes and slides the expiry when it writes', () => {
    const session = store.create()
    store.flush()
    now += 5_000
    expect(store.resolve(session.token)).toMatchObject({ isNew: false, needsCookie: false })
    store.flush()
    expect(lastAccessed()).toBe(now - 5_000)
    now += 6_000
    const touched = store.resolve(session.token)
    expect(touched).toMatchObject({ isNew: false, needsCookie: true })
    store.flush()
    expect(lastAccessed()).toBe(now)
    expect(touched.session.expiresAt).toBe(now + 60_000)
  })

  it('sweeps expired rows and keeps live ones', () => {
    store.create()
    now += 30_000
    const live = store.create()
    now += 31_000
    expect(store.sweep()).toBe(1)
    expect(db.query<{ n: number }, []>('SELECT count(*) AS n FROM sessions').get()?.n).toBe(1)
    expect(store.resolve(live.token).isNew).toBe(false)
  })

  it('queues new sessions and writes a burst in one flush, resolving them meanwhile', async () => {
    const count = () => db.query<{ n: number }, []>('SELECT count(*) AS n FROM sessions').get()?.n
    const created = Array.from({ length: 20 }, () => store.create())
    expect(count()).toBe(0)
    expect(store.resolve(created[0]?.token).session.id).toBe(created[0]?.id ?? '')
    await Bun.sleep(120)
    expect(count()).toBe(20)
  })

  it('flushes at once when the queue reaches its bound', () => {
    const bounded = new SessionStore(db, { maxPending: 5, sweepIntervalMs: 0, now: () => now })
    for (let i = 0; i < 5; i++) bounded.create()
    expect(db.query<{ n: number }, []>('SELECT count(*) AS n FROM sessions').get()?.n).toBe(5)
    bounded.close()
  })

  it('sweeps on its own timer', async () => {
    const timed = new SessionStore(db, { maxAgeSeconds: 1, sweepIntervalMs: 20, now: () => now })
    timed.create()
    now += 2_000
    await Bun.sleep(60)
    timed.close()
    expect(db.query<{ n: number }, []>('SELECT count(*) AS n FROM sessions').get()?.n).toBe(0)
  })

  describe('for a request that only reads', () => {
    const count = () => db.query<{ n: number }, []>('SELECT count(*) AS n FROM sessions').get()?.n

    it('issues a session without a row, keeps its id for the same token, and stores it on the first write', () => {
      const first = store.resolve(undefined, { store: false })
      expect(first).toMatchObject({ isNew: true, needsCookie: true })
      const again = store.resolve(first.session.token, { store: false })
      expect(again).toMatchObject({ isNew: false, needsCookie: false })
      expect(again.session.id).toBe(first.session.id)
      store.flush()
      expect(count()).toBe(0)
      const written = store.resolve(first.session.token)
      expect(written.session.id).toBe(first.session.id)
      expect(written.needsCookie).toBe(true) // the cookie's lifetime starts again with the row's
      store.flush()
      expect(count()).toBe(1)
      expect(store.resolve(first.session.token, { store: false }).session.id).toBe(first.session.id)
    })

    it('never adopts a well-shaped token it did not issue, nor one another store issued', () => {
      const forged = store.resolve('A'.repeat(43), { store: false })
      expect(forged.isNew).toBe(true)
      expect(forged.session.token).not.toBe('A'.repeat(43))
      const other = new SessionStore(db, { sweepIntervalMs: 0, now: () => now })
      const foreign = other.resolve(undefined, { store: false }).session
      expect(store.resolve(foreign.token, { store: false }).session.id).not.toBe(foreign.id)
      expect(store.resolve(foreign.token).session.id).not.toBe(foreign.id)
      other.close()
    })

    it('lets an unstored token expire like a session', () => {
      const token = store.resolve(undefined, { store: false }).session.token
      now += 61_000
      expect(store.resolve(token, { store: false }).isNew).toBe(true)
      expect(store.resolve(token).session.token).not.toBe(token)
    })

    it('never revives the id of a session whose token was rotated', () => {
      const unstored = store.resolve(undefined, { store: false }).session
      const stored = store.resolve(unstored.token).session
      store.rotate(stored)
      const old = store.resolve(unstored.token, { store: false })
      expect(old.isNew).toBe(true)
      expect(old.session.id).not.toBe(stored.id)
    })
  })
})

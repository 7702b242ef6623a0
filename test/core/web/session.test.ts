import { afterEach, beforeEach, describe, expect, it } from 'bun:test'
import { createLogger } from '../../../src/core/ops/log.ts'
import type { SessionStoreOptions } from '../../../src/core/web/session.ts'
import type { SessionPort } from '../../../src/core/web/session-port.ts'
import { PostgresSessionStore } from '../../../src/core/web/session-postgres.ts'
import { describeEngines, openPostgresSchema, pgUrl } from '../../fixtures/postgres.ts'
import { postgresSessions, type SessionDatabase, sqliteSessions } from '../../fixtures/session-backends.ts'

describeEngines('SessionStore', [sqliteSessions, postgresSessions], (backend) => {
  let database: SessionDatabase
  let now: number
  let store: SessionPort
  const open = (options: SessionStoreOptions = {}) => database.open({ sweepIntervalMs: 0, now: () => now, ...options })

  beforeEach(async () => {
    database = await backend.create()
    now = 1_700_000_000_000
    store = await open({ maxAgeSeconds: 60, touchIntervalMs: 10_000 })
  })

  afterEach(() => database.close())

  const count = async () => (await database.rows()).length
  const lastAccessed = async () => (await database.rows())[0]?.last_accessed

  it('stores only a hash of the token', async () => {
    const session = await store.create()
    await store.flush()
    const [row] = await database.rows()
    expect(row?.token_hash).not.toBe(session.token)
    expect(row?.token_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(row?.id).toBe(session.id)
  })

  it('never adopts an expired token', async () => {
    const session = await store.create()
    now += 61_000
    const resolved = await store.resolve(session.token)
    expect(resolved.isNew).toBe(true)
    expect(resolved.session.token).not.toBe(session.token)
    expect(resolved.session.id).not.toBe(session.id)
  })

  it('refuses malformed tokens without a lookup', async () => {
    expect((await store.resolve("x' OR 1=1 --")).isNew).toBe(true)
    expect((await store.resolve('')).isNew).toBe(true)
  })

  it('throttles last_accessed writes and slides the expiry when it writes', async () => {
    const session = await store.create()
    await store.flush()
    now += 5_000
    expect(await store.resolve(session.token)).toMatchObject({ isNew: false, needsCookie: false })
    await store.flush()
    expect(await lastAccessed()).toBe(now - 5_000)
    now += 6_000
    const touched = await store.resolve(session.token)
    expect(touched).toMatchObject({ isNew: false, needsCookie: true })
    await store.flush()
    expect(await lastAccessed()).toBe(now)
    expect(touched.session.expiresAt).toBe(now + 60_000)
  })

  it('sweeps expired rows and keeps live ones', async () => {
    await store.create()
    now += 30_000
    const live = await store.create()
    now += 31_000
    expect(await store.sweep()).toBe(1)
    expect(await count()).toBe(1)
    expect((await store.resolve(live.token)).isNew).toBe(false)
  })

  it('writes touches of a burst together after a while, resolving them meanwhile', async () => {
    const created = await Promise.all(Array.from({ length: 20 }, () => store.create()))
    await store.flush()
    now += 11_000
    const touched = await Promise.all(created.map((session) => store.resolve(session.token)))
    expect(touched.every((resolved) => resolved.needsCookie && !resolved.isNew)).toBe(true)
    expect(await lastAccessed()).toBe(now - 11_000)
    await Bun.sleep(150)
    expect((await database.rows()).every((row) => row.last_accessed === now)).toBe(true)
  })

  it('flushes at once when the queue reaches its bound', async () => {
    const bounded = await open({ maxPending: 5, touchIntervalMs: 0 })
    const created = await Promise.all(Array.from({ length: 5 }, () => bounded.create()))
    await bounded.flush()
    now += 1
    for (const session of created) await bounded.resolve(session.token)
    await Bun.sleep(20) // well within the 50 ms flush interval
    expect((await database.rows()).every((row) => row.last_accessed === now)).toBe(true)
  })

  it('sweeps on its own timer', async () => {
    const timed = await open({ maxAgeSeconds: 1, sweepIntervalMs: 20 })
    await timed.create()
    now += 2_000
    await Bun.sleep(80)
    expect(await count()).toBe(0)
  })

  describe('for a request that only reads', () => {
    it('issues a session without a row, keeps its id for the same token, and stores it on the first write', async () => {
      const first = await store.resolve(undefined, { store: false })
      expect(first).toMatchObject({ isNew: true, needsCookie: true })
      const again = await store.resolve(first.session.token, { store: false })
      expect(again).toMatchObject({ isNew: false, needsCookie: false })
      expect(again.session.id).toBe(first.session.id)
      await store.flush()
      expect(await count()).toBe(0)
      const written = await store.resolve(first.session.token)
      expect(written.session.id).toBe(first.session.id)
      expect(written.needsCookie).toBe(true) // the cookie's lifetime starts again with the row's
      await store.flush()
      expect(await count()).toBe(1)
      expect((await store.resolve(first.session.token, { store: false })).session.id).toBe(first.session.id)
    })

    it('never adopts a well-shaped token it did not issue, nor one a store of another database issued', async () => {
      const forged = await store.resolve('A'.repeat(43), { store: false })
      expect(forged.isNew).toBe(true)
      expect(forged.session.token).not.toBe('A'.repeat(43))
      const other = await database.openElsewhere({ sweepIntervalMs: 0, now: () => now })
      const foreign = (await other.resolve(undefined, { store: false })).session
      expect((await store.resolve(foreign.token, { store: false })).session.id).not.toBe(foreign.id)
      expect((await store.resolve(foreign.token)).session.id).not.toBe(foreign.id)
    })

    it('lets an unstored token expire like a session', async () => {
      const token = (await store.resolve(undefined, { store: false })).session.token
      now += 61_000
      expect((await store.resolve(token, { store: false })).isNew).toBe(true)
      expect((await store.resolve(token)).session.token).not.toBe(token)
    })

    it('never revives the id of a session whose token was rotated', async () => {
      const unstored = (await store.resolve(undefined, { store: false })).session
      const stored = (await store.resolve(unstored.token)).session
      await store.rotate(stored)
      const old = await store.resolve(unstored.token, { store: false })
      expect(old.isNew).toBe(true)
      expect(old.session.id).not.toBe(stored.id)
    })
  })
})

describeEngines('SessionStore across nodes', [postgresSessions], (backend) => {
  let database: SessionDatabase
  beforeEach(async () => {
    database = await backend.create()
  })
  afterEach(() => database.close())
  const node = () => database.open({ sweepIntervalMs: 0 })

  it('a session stored on node A works on node B as soon as A answered, rotation included', async () => {
    const [a, b] = [await node(), await node()]
    const created = (await a.resolve(undefined)).session
    const onB = await b.resolve(created.token)
    expect(onB).toMatchObject({ isNew: false, needsCookie: false })
    expect(onB.session.id).toBe(created.id)
    const rotated = await b.rotate(onB.session)
    expect((await a.resolve(rotated.token)).session.id).toBe(created.id)
    expect((await a.resolve(created.token)).isNew).toBe(true)
  })

  it('an unstored session issued by node A is the same session on node B, and B stores it under its id', async () => {
    const [a, b] = [await node(), await node()]
    const unstored = (await a.resolve(undefined, { store: false })).session
    const read = await b.resolve(unstored.token, { store: false })
    expect(read).toMatchObject({ isNew: false, needsCookie: false })
    expect(read.session.id).toBe(unstored.id)
    const [onA, onB] = await Promise.all([a.resolve(unstored.token), b.resolve(unstored.token)])
    expect([onA.session.id, onB.session.id]).toEqual([unstored.id, unstored.id])
    expect((await database.rows()).map((row) => row.id)).toEqual([unstored.id])
  })
})

describe.skipIf(!pgUrl)('PostgresSessionStore', () => {
  it('gives nodes that start at the same moment on a new database one mint key', async () => {
    for (let round = 0; round < 5; round++) {
      const pg = await openPostgresSchema()
      // One pool per node, as several processes have: their first statements run concurrently.
      const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresSessionStore.open(pg.connect(1))))
      try {
        // A token signed with the key is recognised by every node only if they all drew the same one.
        const unstored = (await stores[0]?.resolve(undefined, { store: false }))?.session
        for (const store of stores) {
          const read = await store.resolve(unstored?.token, { store: false })
          expect(read.isNew).toBe(false)
          expect(read.session.id).toBe(unstored?.id ?? '')
        }
      } finally {
        for (const store of stores) await store.close()
        await pg.close()
      }
    }
  })

  it("reports a failing background sweep on the node's log, and sweeps again once the table is back", async () => {
    const pg = await openPostgresSchema()
    const lines: string[] = []
    const log = createLogger({ write: (line) => lines.push(line) })
    const store = await PostgresSessionStore.open(pg.sql, { sweepIntervalMs: 20, log })
    try {
      await pg.sql.unsafe('ALTER TABLE sessions RENAME TO sessions_away')
      while (lines.length === 0) await Bun.sleep(10)
      expect(JSON.parse(lines[0] ?? '{}').msg).toBe('Cannot sweep sessions')
      await pg.sql.unsafe('ALTER TABLE sessions_away RENAME TO sessions')
      expect(await store.sweep()).toBe(0)
    } finally {
      await store.close()
      await pg.close()
    }
  })
})

describeEngines('SessionStore, deferred writes', [sqliteSessions], (backend) => {
  let database: SessionDatabase
  beforeEach(async () => {
    database = await backend.create()
  })
  afterEach(() => database.close())

  // SQLite only: on PostgreSQL a new session is written before it is handed out (see across nodes).
  it('queues new sessions and writes a burst in one flush', async () => {
    const store = await database.open({ sweepIntervalMs: 0 })
    const created = await Promise.all(Array.from({ length: 20 }, () => store.create()))
    expect((await database.rows()).length).toBe(0)
    expect((await store.resolve(created[0]?.token)).session.id).toBe(created[0]?.id ?? '')
    await Bun.sleep(120)
    expect((await database.rows()).length).toBe(20)
  })
})

import { Database } from 'bun:sqlite'
import { afterEach, describe, expect, it } from 'bun:test'
import { copyFileSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StorageFaultError } from '../../../../src/core/errors.ts'
import { openDatabase } from '../../../../src/core/eventsourcing/database.ts'
import { migrate } from '../../../../src/core/eventsourcing/migrations.ts'
import {
  SqliteEventStore,
  type SqliteEventStoreOptions,
} from '../../../../src/core/eventsourcing/store/sqlite-event-store.ts'
import { createLogger } from '../../../../src/core/ops/log.ts'
import { SessionStore } from '../../../../src/core/web/session.ts'
import { migrations } from '../../../../src/migrations.ts'
import { accountRegistry } from '../../../fixtures/account.ts'

const stream = { type: 'account', id: 'a1' }
const opened = { type: 'AccountOpened', data: { owner: 'ada' } }
const deposited = (amount: number) => ({ type: 'MoneyDeposited', data: { amount } })

describe('SqliteEventStore when its WAL is unlinked while no command comes', () => {
  let dir = ''
  let db: Database | undefined
  let store: SqliteEventStore | undefined
  afterEach(async () => {
    await store?.close()
    db?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  function open(options: SqliteEventStoreOptions = {}) {
    dir = mkdtempSync(join(tmpdir(), 'ironstar-quiet-wal-'))
    const path = join(dir, 'events.sqlite')
    db = openDatabase(path)
    migrate(db, migrations)
    const lines: string[] = []
    const log = createLogger({ write: (l) => lines.push(l) })
    store = new SqliteEventStore(db, accountRegistry(), { ...options, log })
    const sessions = new SessionStore(db, { sweepIntervalMs: 0, log })
    return { db, path, store, sessions, lines }
  }

  /** What a restart would find: the database file alone, as a crash leaves it (the WAL is gone). */
  function positionsInFile(path: string): number[] {
    const copy = join(dir, 'after-crash.sqlite')
    copyFileSync(path, copy)
    const fresh = new Database(copy, { readonly: true })
    try {
      return fresh
        .query<{ position: number }, []>('SELECT global_position AS position FROM events ORDER BY 1')
        .all()
        .map((r) => r.position)
    } finally {
      fresh.close()
    }
  }

  it('notices within about a second, without a write: rescues the WAL and refuses later writes', async () => {
    const { db, path, store, sessions, lines } = open()
    await store.append(stream, 0, [opened])
    for (let i = 1; i <= 3; i++) await store.append(stream, 'any', [deposited(i)])
    unlinkSync(`${path}-wal`)
    await Bun.sleep(1_500) // quiet: nothing writes

    expect(store.storageFault()).toBeInstanceOf(StorageFaultError)
    expect(store.storageFault()?.message).toMatch(/write-ahead log.*restart the server/)
    // The four acknowledged appends are in the database file, where a crash now would leave them.
    expect(positionsInFile(path)).toEqual([1, 2, 3, 4])
    await expect(store.append(stream, 'any', [deposited(9)])).rejects.toBeInstanceOf(StorageFaultError)
    const errors = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 'error')
    expect(errors).toMatchObject([{ msg: 'Event store refuses all further writes' }])
    // The session store writes into the same files: it refuses too.
    sessions.resolve(undefined)
    expect(() => sessions.flush()).toThrow(StorageFaultError)
    expect(sessions.storageFault()).toBeInstanceOf(StorageFaultError)
    expect(db.query('SELECT count(*) AS n FROM events').get()).toEqual({ n: 4 })
  })

  it('loses no acknowledged append when the check runs between commits all the time', async () => {
    const { path, store } = open({ checkFilesEveryMs: 1 })
    await store.append(stream, 0, [opened])
    const acknowledged = [1]
    let refused: unknown = null
    // Many writers against a check every millisecond; the WAL goes while they write.
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; refused === null; i++) {
        if (w === 0 && i === 20) unlinkSync(`${path}-wal`)
        await store
          .append(stream, 'any', [deposited(i)])
          .then((r) => acknowledged.push(...r.events.map((e) => e.position)))
          .catch((error: unknown) => {
            refused = error
          })
      }
    })
    await Promise.all(writers)
    expect(refused).toBeInstanceOf(StorageFaultError)
    expect(acknowledged.length).toBeGreaterThan(20)
    expect(positionsInFile(path)).toEqual(acknowledged.sort((a, b) => a - b))
  })

  it('stops checking once closed', async () => {
    const { path, store, lines } = open({ checkFilesEveryMs: 10 })
    await store.append(stream, 0, [opened])
    await store.close()
    unlinkSync(`${path}-wal`)
    await Bun.sleep(50)
    expect(store.storageFault()).toBeNull()
    expect(lines).toEqual([])
  })
})

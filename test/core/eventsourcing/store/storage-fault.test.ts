import type { Database } from 'bun:sqlite'
import { afterEach, describe, expect, it } from 'bun:test'
import { copyFileSync, mkdtempSync, renameSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StorageFaultError } from '../../../../src/core/errors.ts'
import { openDatabase } from '../../../../src/core/eventsourcing/database.ts'
import { migrate } from '../../../../src/core/eventsourcing/migrations.ts'
import { SqliteEventStore } from '../../../../src/core/eventsourcing/store/sqlite-event-store.ts'
import { createLogger } from '../../../../src/core/ops/log.ts'
import { migrations } from '../../../../src/migrations.ts'
import { accountRegistry } from '../../../fixtures/account.ts'

const stream = { type: 'account', id: 'a1' }
const opened = { type: 'AccountOpened', data: { owner: 'ada' } }
const deposited = (amount: number) => ({ type: 'MoneyDeposited', data: { amount } })

describe('SqliteEventStore when its files are removed or replaced', () => {
  let dir = ''
  let db: Database | undefined
  afterEach(() => {
    db?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  async function open() {
    dir = mkdtempSync(join(tmpdir(), 'ironstar-storage-fault-'))
    const path = join(dir, 'events.sqlite')
    db = openDatabase(path)
    migrate(db, migrations)
    const lines: string[] = []
    const store = new SqliteEventStore(db, accountRegistry(), { log: createLogger({ write: (l) => lines.push(l) }) })
    await store.append(stream, 0, [opened])
    return { path, store, lines }
  }

  async function expectRefusedForGood(store: SqliteEventStore, lines: string[], what: RegExp) {
    const committed: number[] = []
    store.onCommit((events) => committed.push(...events.map((e) => e.position)))
    const appends = Array.from({ length: 5 }, (_, i) => store.append(stream, 'any', [deposited(i)]))
    for (const append of appends) {
      const error = await append.catch((e: unknown) => e)
      expect(error).toBeInstanceOf(StorageFaultError)
      expect((error as Error).message).toMatch(what)
      expect((error as Error).message).toContain('restart the server')
    }
    // Later appends are refused at once, and the fault is logged once, not per append.
    await expect(store.append(stream, 'any', [deposited(9)])).rejects.toBeInstanceOf(StorageFaultError)
    expect(committed).toEqual([])
    expect(store.stats().appends).toBe(1)
    expect(store.storageFault()).toBeInstanceOf(StorageFaultError)
    const errors = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ msg: 'Event store refuses all further writes' })
    // Reads keep working.
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['AccountOpened'])
  }

  it('refuses to acknowledge appends once the -wal file was unlinked', async () => {
    const { path, store, lines } = await open()
    expect(store.storageFault()).toBeNull()
    unlinkSync(`${path}-wal`)
    await expectRefusedForGood(store, lines, /write-ahead log/)
  })

  it('refuses to acknowledge appends once the database file was replaced by a rename', async () => {
    const { path, store, lines } = await open()
    copyFileSync(path, join(dir, 'copy.sqlite'))
    renameSync(join(dir, 'copy.sqlite'), path)
    await expectRefusedForGood(store, lines, /database file/)
  })

  it('keeps acknowledging while the files stay in place', async () => {
    const { store } = await open()
    for (let i = 0; i < 3; i++) await store.append(stream, 'any', [deposited(i)])
    expect(store.stats().appends).toBe(4)
    expect(store.storageFault()).toBeNull()
  })
})

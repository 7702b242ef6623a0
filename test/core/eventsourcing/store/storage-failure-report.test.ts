import { afterEach, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
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
const deposited = (amount: number) => ({ type: 'MoneyDeposited', data: { amount } })

describe('a passing storage failure, as readiness sees it', () => {
  let dir = ''
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('is reported while commits fail, and no longer once none has failed for a while', async () => {
    // A window of seconds: on a loaded machine a failed commit can take one to be answered.
    dir = mkdtempSync(join(tmpdir(), 'ironstar-failure-report-'))
    const db = openDatabase(join(dir, 'events.sqlite'))
    migrate(db, migrations)
    const store = new SqliteEventStore(db, accountRegistry(), {
      log: createLogger({ write: () => {} }),
      reportFailureForMs: 3_000,
    })
    await store.append(stream, 0, [{ type: 'AccountOpened', data: { owner: 'ada' } }])
    const { page_count } = db.query<{ page_count: number }, []>('PRAGMA page_count').get() ?? { page_count: 0 }
    db.run(`PRAGMA max_page_count = ${page_count}`)
    const big = 'x'.repeat(64 * 1024)
    const fails = () => store.append(stream, 'any', [{ type: 'MoneyDeposited', data: { amount: 1, note: big } }])

    await expect(fails()).rejects.toBeInstanceOf(StorageFaultError)
    expect(store.storageFault()?.message).toContain('The disk is full')
    // A node out of rotation gets no command to prove it recovered: the report must not last for ever.
    await Bun.sleep(3_200)
    expect(store.storageFault()).toBeNull()
    // The disk is still full: the next commit fails, and the report is back at once.
    await expect(fails()).rejects.toBeInstanceOf(StorageFaultError)
    expect(store.storageFault()).toBeInstanceOf(StorageFaultError)
    db.run('PRAGMA max_page_count = 1073741823')
    await store.append(stream, 'any', [deposited(2)])
    expect(store.storageFault()).toBeNull()
    await store.close()
    db.close()
  }, 15_000)
})

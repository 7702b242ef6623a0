import { afterEach, describe, expect, it } from 'bun:test'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { Analytics } from '../../../src/core/analytics/analytics.ts'
import { createTables, type DerivedTable, EVENTS_TABLE } from '../../../src/core/analytics/event-tables.ts'
import { EventIngestion } from '../../../src/core/analytics/ingestion.ts'
import { BroadcastRing } from '../../../src/core/eventsourcing/bus.ts'
import { openTestStore, type TestStore } from '../../fixtures/store.ts'

const deposits: DerivedTable = {
  name: 'deposits',
  eventTypes: ['MoneyDeposited'],
  columns: {
    account: { type: 'VARCHAR', sql: 'stream_id' },
    amount: { type: 'DOUBLE', sql: "CAST(payload->>'amount' AS DOUBLE)" },
    deposited_at: { type: 'TIMESTAMP', sql: 'created_at' },
  },
}

interface Totals {
  readonly [type: string]: { count: number; sum: number }
}

async function storeTotals(test: TestStore): Promise<Totals> {
  const rows = test.db
    .query<{ type: string; count: number; sum: number }, []>(
      `SELECT event_type AS type, count(*) AS count,
        sum(coalesce(json_extract(payload, '$.amount'), 0) + global_position) AS sum
       FROM events GROUP BY event_type`,
    )
    .all()
  return Object.fromEntries(rows.map((row) => [row.type, { count: row.count, sum: row.sum }]))
}

async function duckTotals(analytics: Analytics): Promise<Totals> {
  const result = await analytics.db.query(
    `SELECT type, count(*) AS count,
      sum(coalesce(CAST(payload->>'amount' AS DOUBLE), 0) + position) AS sum
     FROM events GROUP BY type`,
  )
  return Object.fromEntries(
    result.rows.map(([type, count, sum]) => [String(type), { count: Number(count), sum: Number(sum) }]),
  )
}

async function deposit(test: TestStore, account: string, times: number): Promise<number> {
  let position = 0
  await test.store.append({ type: 'account', id: account }, 0, [{ type: 'AccountOpened', data: { owner: account } }])
  const appends = Array.from({ length: times }, (_, i) =>
    test.store.append({ type: 'account', id: account }, 'any', [{ type: 'MoneyDeposited', data: { amount: i + 1 } }], {
      commandId: `${account}-${i}`,
    }),
  )
  for (const result of await Promise.all(appends)) position = Math.max(position, result.position)
  return position
}

describe('EventIngestion', () => {
  let test: TestStore
  const open: Analytics[] = []

  afterEach(async () => {
    for (const analytics of open.splice(0)) await analytics.close().catch(() => undefined)
    await test?.close()
  })

  async function start(bus: BroadcastRing): Promise<Analytics> {
    const analytics = await Analytics.start(test.store, bus, {
      path: join(test.dir, 'analytics.duckdb'),
      tables: [deposits],
      batchSize: 64,
      transactionEvents: 128,
    })
    open.push(analytics)
    return analytics
  }

  it('equals the store in counts and sums by type after a restart mid-stream', async () => {
    test = openTestStore()
    let bus = new BroadcastRing(16)
    let unpublish = test.store.onCommit((events) => bus.publish(events))
    const first = await start(bus)
    await first.ingestion.waitFor(await deposit(test, 'a', 300))

    // Stop analytics while the log keeps growing, then start again on the same DuckDB file.
    await first.close()
    open.length = 0
    unpublish()
    await deposit(test, 'b', 200)
    bus = new BroadcastRing(16)
    unpublish = test.store.onCommit((events) => bus.publish(events))
    const second = await start(bus)
    const head = await deposit(test, 'c', 250)
    await second.ingestion.waitFor(head)

    expect(second.ingestion.position).toBe(head)
    expect(await duckTotals(second)).toEqual(await storeTotals(test))
    const typed = await second.db.query('SELECT count(*), sum(amount) FROM deposits')
    expect(typed.rows[0]).toEqual([750, (300 * 301) / 2 + (200 * 201) / 2 + (250 * 251) / 2])
    unpublish()
  })

  it('catches up in transactions spanning pages, each with its derived rows and exact checkpoint', async () => {
    test = openTestStore()
    const head = await deposit(test, 'history', 300)
    const instance = await DuckDBInstance.create(':memory:')
    const writer = await instance.connect()
    await createTables(writer, [EVENTS_TABLE, deposits])
    const commits: number[] = []
    const checkpoints: number[] = []
    const ingestion = new EventIngestion(writer, test.store, new BroadcastRing(16), {
      tables: [deposits],
      batchSize: 64,
      transactionEvents: 128,
      onBatch: (batch) => commits.push(batch.count),
    })
    const reader = await instance.connect()
    await ingestion.start()
    const read = async (sql: string) => Number((await reader.runAndReadAll(sql)).getRows()[0]?.[0])
    checkpoints.push(await read('SELECT position FROM ingest_checkpoint'))
    await ingestion.stop()
    expect(commits).toEqual([128, 128, head - 256])
    expect(checkpoints).toEqual([head])
    expect(await read('SELECT count(*) FROM events')).toBe(head)
    expect(await read('SELECT sum(amount) FROM deposits')).toBe((300 * 301) / 2)
    reader.closeSync()
    writer.closeSync()
    instance.closeSync()
  })

  it('catches up from the store when it lags behind a small ring', async () => {
    test = openTestStore()
    const bus = new BroadcastRing(2)
    test.store.onCommit((events) => bus.publish(events))
    const analytics = await start(bus)
    const head = await deposit(test, 'burst', 500)
    await analytics.ingestion.waitFor(head)
    expect(await duckTotals(analytics)).toEqual(await storeTotals(test))
    expect(bus.counters().lagged).toBeGreaterThan(0)
  })

  it('copies every field of an event exactly, whatever its text holds', async () => {
    test = openTestStore()
    const bus = new BroadcastRing(64)
    test.store.onCommit((events) => bus.publish(events))
    const analytics = await start(bus)
    const owner = 'line\nbreak, "quoted", tab\t, ✓ 😀, back\\slash'
    const appended = await test.store.append(
      { type: 'account', id: 'acc-1' },
      0,
      [{ type: 'AccountOpened', data: { owner } }],
      {
        commandId: 'cmd-1',
      },
    )
    const event = appended.events[0]
    if (!event) throw new Error('The append wrote no event')
    await analytics.ingestion.waitFor(event.position)
    const result = await analytics.db.query(
      `SELECT position, stream_type, stream_id, version, type, payload->>'owner', command_id,
        strftime(created_at, '%Y-%m-%dT%H:%M:%S.%gZ') FROM events`,
    )
    expect(result.rows).toEqual([
      [event.position, 'account', 'acc-1', 1, 'AccountOpened', owner, 'cmd-1', event.createdAt],
    ])
  })

  it('keeps ids holding the packing separators intact (that batch goes value by value)', async () => {
    test = openTestStore()
    const bus = new BroadcastRing(64)
    test.store.onCommit((events) => bus.publish(events))
    const analytics = await start(bus)
    const odd = 'a\x1fb\x1ec'
    const { position } = await test.store.append({ type: 'account', id: odd }, 0, [
      { type: 'AccountOpened', data: { owner: 'tab\there, unit\x1fsep' } },
    ])
    await analytics.ingestion.waitFor(position)
    const result = await analytics.db.query(`SELECT stream_id, payload->>'owner', command_id FROM events`)
    expect(result.rows).toEqual([[odd, 'tab\there, unit\x1fsep', null]])
  })

  it('gives up waiting for a position that never arrives, after the timeout', async () => {
    test = openTestStore()
    const analytics = await start(new BroadcastRing(16))
    await expect(analytics.ingestion.waitFor(10_000, { timeoutMs: 50 })).rejects.toThrow(
      'Cannot wait for analytics to reach 10000: still at 0 after 50 ms',
    )
  })

  it('rejects a pending wait as soon as it stops, rather than at the timeout', async () => {
    test = openTestStore()
    const analytics = await start(new BroadcastRing(16))
    const pending = analytics.ingestion.waitFor(10_000, { timeoutMs: 5_000 })
    const started = performance.now()
    await analytics.close()
    await expect(pending).rejects.toThrow('Cannot wait for analytics to reach 10000: it is not running (stopped at 0)')
    expect(performance.now() - started).toBeLessThan(1_000)
  })

  it('counts a batch DuckDB refuses as a failure, and ingests it once DuckDB takes it again', async () => {
    test = openTestStore()
    const bus = new BroadcastRing(64)
    test.store.onCommit((events) => bus.publish(events))
    const analytics = await start(bus)
    await analytics.db.writer.run('DROP TABLE deposits') // every batch with a deposit now fails to derive
    const head = await deposit(test, 'refused', 3)
    for (let i = 0; i < 200 && analytics.ingestion.failures === 0; i++) await Bun.sleep(10)
    expect(analytics.ingestion.failures).toBe(1)
    expect(analytics.ingestion.position).toBeLessThan(head)
    await createTables(analytics.db.writer, [deposits])
    await analytics.ingestion.waitFor(head, { timeoutMs: 5_000 }) // the retry, a second later, reads from the checkpoint
    expect(await duckTotals(analytics)).toEqual(await storeTotals(test))
    expect(analytics.ingestion.failures).toBe(1)
  })

  it('evicts cached results that depend on an ingested event type', async () => {
    test = openTestStore()
    const bus = new BroadcastRing(64)
    test.store.onCommit((events) => bus.publish(events))
    const analytics = await start(bus)
    const sql = 'SELECT count(*) FROM events'
    await analytics.cachedQuery(sql, ['MoneyDeposited'])
    expect((await analytics.cachedQuery(sql, ['MoneyDeposited'])).rows[0]).toEqual([0])
    expect(analytics.cache.counters().hits).toBe(1)
    await analytics.ingestion.waitFor(await deposit(test, 'x', 3))
    expect((await analytics.cachedQuery(sql, ['MoneyDeposited'])).rows[0]).toEqual([4])
  })
})

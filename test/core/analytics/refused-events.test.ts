import { afterEach, describe, expect, it } from 'bun:test'
import { join } from 'node:path'
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { createTables, type DerivedTable, EVENTS_TABLE } from '../../../src/core/analytics/event-tables.ts'
import { EventIngestion } from '../../../src/core/analytics/ingestion.ts'
import { SKIPPED_METRIC } from '../../../src/core/analytics/refused-events.ts'
import { BroadcastRing } from '../../../src/core/eventsourcing/bus.ts'
import { createLogger } from '../../../src/core/ops/log.ts'
import { MetricsRegistry } from '../../../src/core/ops/metrics.ts'
import { openTestStore, type TestStore } from '../../fixtures/store.ts'

// DuckDB refuses both in the derived table's SQL: a lone surrogate is malformed JSON to it, and
// 'lots' does not cast to DOUBLE. The event store takes either (they survive a JSON round trip).
const deposits: DerivedTable = {
  name: 'deposits',
  eventTypes: ['MoneyDeposited'],
  columns: { amount: { type: 'DOUBLE', sql: "CAST(payload->>'amount' AS DOUBLE)" } },
}
const LONE_SURROGATE = { amount: '\ud800' }
const NOT_A_NUMBER = { amount: 'lots' }

interface Opened {
  readonly ingestion: EventIngestion
  readonly registry: MetricsRegistry
  readonly lines: string[]
  read(sql: string): Promise<unknown[][]>
  close(): Promise<void>
}

describe('EventIngestion with events DuckDB refuses', () => {
  let test: TestStore
  const open: Opened[] = []

  afterEach(async () => {
    for (const opened of open.splice(0)) await opened.close()
    await test?.close()
  })

  async function start(bus = new BroadcastRing(64), options: { retryMs?: number } = {}): Promise<Opened> {
    const instance = await DuckDBInstance.create(join(test.dir, 'analytics.duckdb'))
    const writer = await instance.connect()
    await createTables(writer, [EVENTS_TABLE, deposits])
    const registry = new MetricsRegistry()
    const lines: string[] = []
    const log = createLogger({ format: 'json', write: (line) => lines.push(line) })
    const ingestion = new EventIngestion(writer, test.store, bus, {
      tables: [deposits],
      batchSize: 8,
      transactionEvents: 32,
      registry,
      log,
      ...options,
    })
    const reader: DuckDBConnection = await instance.connect()
    await ingestion.start()
    const opened: Opened = {
      ingestion,
      registry,
      lines,
      read: async (sql) =>
        (await reader.runAndReadAll(sql))
          .getRows()
          .map((row) => row.map((v) => (typeof v === 'bigint' ? Number(v) : v))),
      async close() {
        await ingestion.stop()
        reader.closeSync()
        writer.closeSync()
        instance.closeSync()
        open.splice(open.indexOf(opened), 1)
      },
    }
    open.push(opened)
    return opened
  }

  const skippedCount = (registry: MetricsRegistry) =>
    Number(new RegExp(`^${SKIPPED_METRIC} (\\d+)$`, 'm').exec(registry.render())?.[1])

  async function depositAll(amounts: readonly unknown[]): Promise<number[]> {
    const positions: number[] = []
    for (const amount of amounts) {
      const data = typeof amount === 'object' ? amount : { amount }
      const { position } = await test.store.append({ type: 'account', id: 'a' }, 'any', [
        { type: 'MoneyDeposited', data: data as Record<string, unknown> },
      ])
      positions.push(position)
    }
    return positions
  }

  it('skips a refused event during catch-up, counts it, logs one line, and ingests the rest', async () => {
    test = openTestStore()
    const amounts = Array.from({ length: 40 }, (_, i) => i + 1)
    const positions = await depositAll([...amounts.slice(0, 20), LONE_SURROGATE, ...amounts.slice(20)])
    const refused = positions[20]

    const analytics = await start()

    expect(analytics.ingestion.position).toBe(positions.at(-1) as number)
    expect(await analytics.read('SELECT count(*), sum(amount) FROM deposits')).toEqual([[40, (40 * 41) / 2]])
    expect(await analytics.read(`SELECT count(*) FROM events WHERE position = ${refused}`)).toEqual([[0]])
    expect(skippedCount(analytics.registry)).toBe(1)
    expect(analytics.lines).toHaveLength(1)
    const line = JSON.parse(analytics.lines[0] as string)
    expect(line).toMatchObject({ level: 'error', position: refused, type: 'MoneyDeposited', stream: 'account/a' })
    expect(line.reason).toContain('Malformed JSON')
    expect(analytics.lines[0]).not.toContain('ud800')
  })

  it('skips refused events arriving live, keeps following, and does not skip them again after a restart', async () => {
    test = openTestStore()
    const bus = new BroadcastRing(64)
    test.store.onCommit((events) => bus.publish(events))
    const first = await start(bus)
    // One append, one bus batch: good and refused events side by side.
    const { events } = await test.store.append({ type: 'account', id: 'b' }, 0, [
      { type: 'MoneyDeposited', data: { amount: 1 } },
      { type: 'MoneyDeposited', data: NOT_A_NUMBER },
      { type: 'MoneyDeposited', data: { amount: 2 } },
      { type: 'MoneyDeposited', data: LONE_SURROGATE },
      { type: 'MoneyDeposited', data: { amount: 3 } },
    ])
    await first.ingestion.waitFor(events.at(-1)?.position as number, { timeoutMs: 3_000 })
    expect(skippedCount(first.registry)).toBe(2)
    expect(first.lines).toHaveLength(2)

    const [later] = await depositAll([4])
    await first.ingestion.waitFor(later as number, { timeoutMs: 3_000 })
    expect(await first.read('SELECT count(*), sum(amount) FROM deposits')).toEqual([[4, 10]])
    await first.close()

    const second = await start()
    expect(second.ingestion.position).toBe(later as number)
    expect(skippedCount(second.registry)).toBe(0)
    expect(await second.read('SELECT count(*), sum(amount) FROM deposits')).toEqual([[4, 10]])
  })

  it('never skips on a failure of the database itself: it retries until the write can succeed', async () => {
    test = openTestStore()
    const bus = new BroadcastRing(64)
    test.store.onCommit((events) => bus.publish(events))
    const analytics = await start(bus, { retryMs: 20 })
    await analytics.read('DROP TABLE deposits')
    const [position] = await depositAll([7])

    await Bun.sleep(200)
    expect(analytics.ingestion.position).toBe(0)
    expect(skippedCount(analytics.registry)).toBe(0)

    await analytics.read('CREATE TABLE deposits (position BIGINT NOT NULL, amount DOUBLE)')
    await analytics.ingestion.waitFor(position as number, { timeoutMs: 3_000 })
    expect(await analytics.read('SELECT amount FROM deposits')).toEqual([[7]])
  })
})

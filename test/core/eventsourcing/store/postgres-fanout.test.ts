import { afterEach, describe, expect, it } from 'bun:test'
import { SQL } from 'bun'
import { BroadcastRing } from '../../../../src/core/eventsourcing/bus.ts'
import { PostgresEventStore } from '../../../../src/core/eventsourcing/store/postgres-event-store.ts'
import { PostgresFanout } from '../../../../src/core/eventsourcing/store/postgres-fanout.ts'
import { createLogger, type Logger } from '../../../../src/core/ops/log.ts'
import { accountRegistry } from '../../../fixtures/account.ts'
import { openPostgresSchema, type PostgresSchema, pgUrl } from '../../../fixtures/postgres.ts'

const opened = { type: 'AccountOpened', data: { owner: 'ada' } }
const deposited = (amount: number) => ({ type: 'MoneyDeposited', data: { amount } })

let pg: PostgresSchema | undefined
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await pg?.close()
  pg = undefined
})

/** One node: its own pool, store and ring, and (when asked) its fanout. */
async function node(
  schema: PostgresSchema,
  options: { fanout?: boolean; pollIntervalMs?: number; channel?: string; log?: Logger } = {},
) {
  const channel = options.channel ?? schema.schema
  const store = new PostgresEventStore(schema.connect(), accountRegistry(), { channel })
  const ring = new BroadcastRing(4096)
  const fanout = options.fanout
    ? new PostgresFanout({
        url: schema.url,
        store,
        ring,
        channel: schema.schema,
        pollIntervalMs: options.pollIntervalMs,
        log: options.log,
      })
    : null
  await fanout?.start()
  cleanups.push(async () => {
    await fanout?.close()
    await store.close()
  })
  return { store, ring, fanout }
}

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Condition not met in time')
    await Bun.sleep(10)
  }
}

function ringPositions(ring: BroadcastRing): number[] {
  const positions: number[] = []
  const subscription = ring.subscribe()
  cleanups.push(async () => subscription.close())
  void (async () => {
    for await (const message of subscription) if (message.kind === 'event') positions.push(message.event.position)
  })()
  return positions
}

describe.skipIf(!pgUrl)('PostgreSQL across nodes', () => {
  it('two nodes appending at once get contiguous positions that a tailing reader sees without a skip', async () => {
    pg = await openPostgresSchema()
    const [a, b] = [await node(pg), await node(pg)]
    const tailed: number[] = []
    let writing = true
    const tail = (async () => {
      while (writing || tailed.length < 400) {
        const page = await a.store.readAll({ after: tailed.at(-1) ?? 0, limit: 50 })
        tailed.push(...page.map((e) => e.position))
        if (page.length === 0) await Bun.sleep(1)
      }
    })()
    const appends = Array.from({ length: 200 }, (_, i) => [
      a.store.append({ type: 'account', id: `a${i % 20}` }, 'any', [deposited(i)]),
      b.store.append({ type: 'account', id: `b${i % 20}` }, 'any', [deposited(i)]),
    ]).flat()
    const results = await Promise.all(appends)
    writing = false
    await tail
    expect(tailed).toEqual(Array.from({ length: 400 }, (_, i) => i + 1))
    expect(results.map((r) => r.position).sort((x, y) => x - y)).toEqual(tailed)
    expect(a.store.stats().commits + b.store.stats().commits).toBeLessThan(400)
  })

  it('two nodes racing for the same stream: one append wins each version, the other gets a VersionConflict', async () => {
    pg = await openPostgresSchema()
    const [a, b] = [await node(pg), await node(pg)]
    const stream = { type: 'account', id: 'shared' }
    const outcomes = await Promise.allSettled([
      a.store.append(stream, 0, [opened]),
      b.store.append(stream, 0, [opened]),
    ])
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected'])
    const retried = await Promise.all([
      a.store.append(stream, 'any', [deposited(1)], { commandId: 'same' }),
      b.store.append(stream, 'any', [deposited(1)], { commandId: 'same' }),
    ])
    expect(retried.map((r) => r.duplicate).sort()).toEqual([false, true])
    expect((await a.store.readStream(stream)).map((e) => e.version)).toEqual([1, 2])
  })

  it("a commit on node A reaches node B's ring through B's fanout, and B's own commits are published once", async () => {
    pg = await openPostgresSchema()
    const a = await node(pg)
    const b = await node(pg, { fanout: true, pollIntervalMs: 60_000 })
    const seen = ringPositions(b.ring)
    await a.store.append({ type: 'account', id: 'x' }, 0, [opened, deposited(1)])
    await until(() => seen.length === 2)
    await b.store.append({ type: 'account', id: 'y' }, 0, [opened])
    await a.store.append({ type: 'account', id: 'z' }, 0, [opened])
    await b.store.append({ type: 'account', id: 'y' }, 1, [deposited(2)])
    await until(() => seen.length === 5)
    await Bun.sleep(50)
    expect(seen).toEqual([1, 2, 3, 4, 5])
    expect(b.ring.counters().published).toBe(5)
  })

  it('a local commit that does not follow the ring waits for what another node committed before it', async () => {
    pg = await openPostgresSchema()
    // A notifies on another channel: B hears nothing of A's commit, as when a notification is late.
    const a = await node(pg, { channel: `${pg.schema}_elsewhere` })
    const b = await node(pg, { fanout: true, pollIntervalMs: 60_000 })
    const seen = ringPositions(b.ring)
    await b.store.append({ type: 'account', id: 'b' }, 0, [opened])
    await a.store.append({ type: 'account', id: 'a' }, 0, [opened])
    await b.store.append({ type: 'account', id: 'b' }, 1, [deposited(1)])
    await until(() => seen.length >= 2)
    await until(() => seen.length === 3)
    expect(seen).toEqual([1, 2, 3])
  })

  it('a node whose LISTEN connection is killed re-establishes it and catches up on what it missed', async () => {
    pg = await openPostgresSchema()
    const a = await node(pg)
    const b = await node(pg, { fanout: true, pollIntervalMs: 60_000 })
    const seen = ringPositions(b.ring)
    const admin = new SQL(pg.url, { max: 1 })
    cleanups.push(() => admin.close())
    const connectsBefore = b.fanout?.counters().connects ?? 0
    const [killed] = await admin`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
      WHERE query = ${`LISTEN "${pg.schema}"`}`
    expect(killed?.n).toBe(1)
    await a.store.append({ type: 'account', id: 'while-down' }, 0, [opened, deposited(1), deposited(2)])
    await until(() => seen.length === 3, 5_000)
    expect(seen).toEqual([1, 2, 3])
    expect(b.fanout?.counters().connects).toBeGreaterThan(connectsBefore)
    await a.store.append({ type: 'account', id: 'after' }, 0, [opened])
    await until(() => seen.length === 4)
  })

  it('the periodic read publishes what no notification announced', async () => {
    pg = await openPostgresSchema()
    const b = await node(pg, { fanout: true, pollIntervalMs: 50 })
    const seen = ringPositions(b.ring)
    // Written behind the store's back: no NOTIFY, only the table knows.
    await pg.sql.unsafe(`INSERT INTO events (global_position, event_id, stream_type, stream_id, stream_version,
      event_type, payload, created_at) VALUES (1, 'e1', 'account', 'q', 1, 'AccountOpened', '{"owner":"x"}', 'now')`)
    await until(() => seen.length === 1)
    expect(b.fanout?.counters().notifications).toBe(0)
  })

  it("a failing read is logged once on the node's log while the poll retries, and caught up when it heals", async () => {
    pg = await openPostgresSchema()
    const lines: string[] = []
    const log = createLogger({ write: (line) => lines.push(line) })
    const b = await node(pg, { fanout: true, pollIntervalMs: 20, log })
    const seen = ringPositions(b.ring)
    await pg.sql.unsafe('ALTER TABLE events RENAME TO events_away')
    await until(() => (b.fanout?.counters().errors ?? 0) >= 3)
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual([
      'Cannot read new events for the broadcast ring; retrying',
    ])
    await pg.sql.unsafe('ALTER TABLE events_away RENAME TO events')
    await b.store.append({ type: 'account', id: 'healed' }, 0, [opened])
    await until(() => seen.length === 1)
    expect(seen).toEqual([1])
  })
})

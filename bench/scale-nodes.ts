// Nodes for `bun run bench scale`, in this one process: each has its own pool, store, ring and
// (on PostgreSQL) fan-out with its own LISTEN connection, as separate processes would.

import { SQL } from 'bun'
import { BroadcastRing } from '../src/core/eventsourcing/bus.ts'
import { CommandHandler } from '../src/core/eventsourcing/commands.ts'
import type { StoredEvent } from '../src/core/eventsourcing/events.ts'
import type { EventStore } from '../src/core/eventsourcing/store/event-store.ts'
import { PostgresEventStore } from '../src/core/eventsourcing/store/postgres-event-store.ts'
import { PostgresFanout } from '../src/core/eventsourcing/store/postgres-fanout.ts'
import { account, accountRegistry } from '../test/fixtures/account.ts'

export interface BenchNode {
  readonly store: EventStore
  readonly ring: BroadcastRing
  close(): Promise<void>
}

/** A node on the shared schema: the fan-out is its ring's only publisher, as in the server. */
export async function postgresNode(url: string, schema: string): Promise<BenchNode> {
  const sql = new SQL(url, { max: 4, connection: { search_path: schema, synchronous_commit: 'on' } })
  const store = new PostgresEventStore(sql, accountRegistry(), { channel: schema })
  const ring = new BroadcastRing(4_096)
  const fanout = new PostgresFanout({ url, store, ring, channel: schema })
  await fanout.start()
  return {
    store,
    ring,
    async close() {
      await store.close()
      await fanout.close()
      ring.close()
      await sql.close()
    },
  }
}

/** A node whose ring hears its own store's commits (SQLite: one node). */
export function localNode(store: EventStore): BenchNode {
  const ring = new BroadcastRing(4_096)
  store.onCommit((events) => ring.publish(events))
  return { store, ring, close: () => store.close() }
}

const streamsOf = (name: string, callers: number) =>
  Array.from({ length: callers }, (_, i) => ({ type: 'account', id: `${name}-${i}` }))

/** Acknowledged commands/s with `callers` concurrent callers spread over the nodes, each on its own stream. */
export async function commandRate(name: string, nodes: readonly BenchNode[], callers: number, total: number) {
  const handlers = nodes.map((node) => new CommandHandler(node.store))
  const streams = streamsOf(`${name}-rate`, callers)
  const handlerOf = (i: number) => handlers[i % handlers.length] as CommandHandler
  await Promise.all(streams.map((s, i) => handlerOf(i).handle(account, s, { type: 'OpenAccount', owner: 'bench' })))
  const commitsBefore = nodes.reduce((sum, node) => sum + node.store.stats().commits, 0)
  let remaining = total
  const started = performance.now()
  await Promise.all(
    streams.map(async (stream, i) => {
      while (remaining-- > 0) await handlerOf(i).handle(account, stream, { type: 'Deposit', amount: 1 })
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const commits = nodes.reduce((sum, node) => sum + node.store.stats().commits, 0) - commitsBefore
  return { 'commands/s': total / seconds, 'commands per commit': total / commits }
}

/**
 * Command → every node's ring: `perSecond` commands paced over `seconds`, sent round robin to the
 * nodes; for each, the time from sending it until the last node's ring subscriber has it. The
 * subscribers are where a node's feeds read (a feed's render and socket write come on top).
 */
export async function deliveryLatency(name: string, nodes: readonly BenchNode[], perSecond: number, seconds: number) {
  const callers = 16
  const handlers = nodes.map((node) => new CommandHandler(node.store))
  const streams = streamsOf(`${name}-latency`, callers)
  await Promise.all(
    streams.map((s, i) => handlers[i % handlers.length]?.handle(account, s, { type: 'OpenAccount', owner: 'bench' })),
  )
  const sent = new Map<string, number>()
  const seen = new Map<string, number>()
  const samples: number[] = []
  const key = (event: Pick<StoredEvent, 'stream' | 'version'>) => `${event.stream.id}:${event.version}`
  const readers = nodes.map(async (node) => {
    for await (const message of node.ring.subscribe()) {
      if (message.kind !== 'event' || !sent.has(key(message.event))) continue
      const k = key(message.event)
      const count = (seen.get(k) ?? 0) + 1
      seen.set(k, count)
      if (count === nodes.length) samples.push(performance.now() - (sent.get(k) ?? 0))
    }
  })
  const perCaller = Math.ceil((perSecond * seconds) / callers)
  const total = perCaller * callers
  const intervalMs = (1000 * callers) / perSecond
  await Promise.all(
    streams.map(async (stream, i) => {
      const handler = handlers[i % handlers.length] as CommandHandler
      const start = performance.now() + (i * intervalMs) / callers
      for (let n = 0; n < perCaller; n++) {
        const due = start + n * intervalMs
        const wait = due - performance.now()
        if (wait > 0) await Bun.sleep(wait)
        sent.set(`${stream.id}:${n + 2}`, performance.now())
        await handler.handle(account, stream, { type: 'Deposit', amount: 1 })
      }
    }),
  )
  const deadline = performance.now() + 5_000
  while (samples.length < total && performance.now() < deadline) await Bun.sleep(20)
  for (const node of nodes) node.ring.close()
  await Promise.all(readers)
  samples.sort((a, b) => a - b)
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? Number.NaN
  return { 'delivered to every node': `${samples.length}/${total}`, 'p50 ms': at(0.5), 'p99 ms': at(0.99) }
}

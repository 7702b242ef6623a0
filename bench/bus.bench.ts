// Broadcast ring: the cost of publish() itself against the number of waiting subscribers
// (it should not grow), and the time until every subscriber has read the event (it must).
// Baseline in the same run: a naive bus that pushes into one array per subscriber.
import { BroadcastRing } from '../src/core/eventsourcing/bus.ts'
import type { StoredEvent } from '../src/core/eventsourcing/events.ts'
import { printTable } from './table.ts'

const EVENTS = 2_000

function event(position: number): StoredEvent {
  return {
    type: 'Ticked',
    data: {},
    position,
    eventId: `e${position}`,
    stream: { type: 's', id: '1' },
    version: position,
    schemaVersion: 1,
    metadata: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  }
}

async function ring(subscribers: number) {
  const bus = new BroadcastRing(256)
  let reads = 0
  const readers = Array.from({ length: subscribers }, async () => {
    for await (const message of bus.subscribe()) {
      if (message.kind === 'event') reads++
    }
  })
  await Bun.sleep(10)
  const publishNs: number[] = []
  const started = performance.now()
  for (let p = 1; p <= EVENTS; p++) {
    const e = event(p)
    const t = Bun.nanoseconds()
    bus.publish([e])
    publishNs.push(Bun.nanoseconds() - t)
    await Promise.resolve() // let readers run between publishes, as between commits
    while (reads < p * subscribers) await new Promise((resolve) => setImmediate(resolve))
  }
  const seconds = (performance.now() - started) / 1000
  bus.close()
  await Promise.all(readers)
  publishNs.sort((a, b) => a - b)
  return { publishNs: median(publishNs), deliveriesPerSecond: (EVENTS * subscribers) / seconds }
}

/** Medians, not means: a GC pause landing inside one timed call says nothing about publish(). */
function median(sorted: number[]): number {
  return sorted[sorted.length >> 1] ?? Number.NaN
}

function naive(subscribers: number) {
  const queues: StoredEvent[][] = Array.from({ length: subscribers }, () => [])
  const publishNs: number[] = []
  for (let p = 1; p <= EVENTS; p++) {
    const e = event(p)
    const t = Bun.nanoseconds()
    for (const queue of queues) queue.push(e)
    publishNs.push(Bun.nanoseconds() - t)
    for (const queue of queues) queue.length = 0
  }
  return median(publishNs.sort((a, b) => a - b))
}

const rows = []
for (const subscribers of [1, 100, 1_000, 10_000]) {
  const measured = await ring(subscribers)
  rows.push({
    subscribers,
    'ring publish() ns (median)': Math.round(measured.publishNs),
    'baseline: per-subscriber queues, ns (median)': Math.round(naive(subscribers)),
    'ring deliveries/s (all subscribers read)': Math.round(measured.deliveriesPerSecond),
  })
}
console.log(`${EVENTS} events, one publish each; subscribers wait in \`for await\`\n`)
printTable(rows)

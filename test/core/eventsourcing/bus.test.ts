import { describe, expect, it } from 'bun:test'
import { BroadcastRing, type BusMessage } from '../../../src/core/eventsourcing/bus.ts'
import type { StoredEvent } from '../../../src/core/eventsourcing/events.ts'

function event(position: number): StoredEvent {
  return {
    type: 'Ticked',
    data: { n: position },
    position,
    eventId: `e-${position}`,
    stream: { type: 'clock', id: 'c' },
    version: position,
    schemaVersion: 1,
    metadata: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  }
}

function events(from: number, to: number): StoredEvent[] {
  return Array.from({ length: to - from + 1 }, (_, i) => event(from + i))
}

function positions(messages: BusMessage[]): (number | string)[] {
  return messages.map((m) => (m.kind === 'event' ? m.event.position : `lagged:${m.missed}`))
}

describe('BroadcastRing', () => {
  it('delivers events published after subscribe, in order, to every subscriber', async () => {
    const ring = new BroadcastRing(8)
    ring.publish(events(1, 2))
    const a = ring.subscribe()
    const b = ring.subscribe()
    ring.publish(events(3, 5))
    const read = async (s: AsyncIterator<BusMessage>) => {
      const out: BusMessage[] = []
      for (let i = 0; i < 3; i++) out.push((await s.next()).value as BusMessage)
      return positions(out)
    }
    expect(await read(a)).toEqual([3, 4, 5])
    expect(await read(b)).toEqual([3, 4, 5])
  })

  it('wakes a waiting reader when an event is published', async () => {
    const ring = new BroadcastRing(8)
    const sub = ring.subscribe()
    const pending = sub.next()
    setTimeout(() => ring.publish([event(1)]), 5)
    const result = await pending
    expect(result.done).toBe(false)
    expect(positions([result.value as BusMessage])).toEqual([1])
  })

  it('ignores positions that were already published', () => {
    const ring = new BroadcastRing(8)
    ring.publish(events(1, 3))
    ring.publish(events(2, 4))
    expect(ring.counters()).toMatchObject({ published: 4, position: 4 })
  })

  it('tells a subscriber that fell behind the ring how much it lagged, then resumes live', async () => {
    const capacity = 16
    const ring = new BroadcastRing(capacity)
    const sub = ring.subscribe()
    for (let p = 1; p <= capacity * 10; p++) ring.publish([event(p)])
    const first = sub.poll()
    expect(first).toEqual({ kind: 'lagged', missed: capacity * 9, position: capacity * 10 })
    expect(sub.poll()).toBeNull()
    ring.publish([event(capacity * 10 + 1)])
    expect(positions([sub.poll() as BusMessage])).toEqual([capacity * 10 + 1])
    expect(ring.counters().lagged).toBe(1)
  })

  it('keeps no event a lagging subscriber missed reachable (memory does not grow with the lag)', async () => {
    const capacity = 16
    const ring = new BroadcastRing(capacity)
    const sub = ring.subscribe()
    const early: WeakRef<StoredEvent>[] = []
    ;(() => {
      for (let p = 1; p <= capacity * 10; p++) {
        const e = event(p)
        if (p <= capacity * 9) early.push(new WeakRef(e))
        ring.publish([e])
      }
    })()
    const alive = () => early.filter((ref) => ref.deref() !== undefined).length
    // JSC scans the stack conservatively: a stray word may keep an event or two alive for a while,
    // so collect a few times; a ring that kept what the subscriber missed would hold all 144.
    for (let attempt = 0; attempt < 5 && alive() > 0; attempt++) {
      Bun.gc(true)
      await Bun.sleep(attempt * 10)
    }
    expect(alive()).toBeLessThanOrEqual(2)
    expect(sub.poll()?.kind).toBe('lagged')
  })

  it('ends a subscription at once on return(), close() and abort, releasing a waiting reader', async () => {
    const ring = new BroadcastRing(8)
    const viaReturn = ring.subscribe()
    const waiting = viaReturn.next()
    await viaReturn.return()
    expect((await waiting).done).toBe(true)

    const controller = new AbortController()
    const viaAbort = ring.subscribe({ signal: controller.signal })
    const waitingReady = viaAbort.ready()
    controller.abort()
    expect(await waitingReady).toBe(false)
    expect(viaAbort.isClosed).toBe(true)
    expect(ring.counters().subscribers).toBe(0)
  })

  it('leaves zero subscribers after 1,000 subscribe/unsubscribe cycles with waiting readers', async () => {
    const ring = new BroadcastRing(8)
    for (let i = 0; i < 1_000; i++) {
      const controller = new AbortController()
      const sub = ring.subscribe({ signal: controller.signal })
      const pending = sub.next()
      controller.abort()
      await pending
    }
    expect(ring.counters().subscribers).toBe(0)
  })

  it('finishes every subscription on close() and refuses new ones', async () => {
    const ring = new BroadcastRing(8)
    const sub = ring.subscribe()
    const pending = sub.next()
    ring.close()
    expect((await pending).done).toBe(true)
    expect(ring.subscribe().isClosed).toBe(true)
    expect(ring.counters().subscribers).toBe(0)
  })

  it('lets a reader drain a whole commit synchronously with poll()', async () => {
    const ring = new BroadcastRing(8)
    const sub = ring.subscribe()
    setTimeout(() => ring.publish(events(1, 5)), 1)
    expect(await sub.ready()).toBe(true)
    const drained: BusMessage[] = []
    for (let m = sub.poll(); m; m = sub.poll()) drained.push(m)
    expect(positions(drained)).toEqual([1, 2, 3, 4, 5])
  })

  it('rejects a capacity that is not a whole number ≥ 1', () => {
    expect(() => new BroadcastRing(0)).toThrow(RangeError)
    expect(() => new BroadcastRing(1.5)).toThrow('Cannot create broadcast ring')
  })
})

import { afterEach, describe, expect, it } from 'bun:test'
import { BroadcastRing } from '../../../src/core/eventsourcing/bus.ts'
import { defineProjection, Projection } from '../../../src/core/eventsourcing/projections.ts'
import { createLogger } from '../../../src/core/ops/log.ts'
import { makeBoardProjection, notesRegistry } from '../../fixtures/notes.ts'
import { openTestStore, type TestStore } from '../../fixtures/store.ts'

const board = { type: 'board', id: 'b1' }
const note = (text: string) => ({ type: 'NoteAdded', data: { text } })

let opened: TestStore | null = null
afterEach(async () => {
  await opened?.close()
  opened = null
})

function setup(capacity = 256) {
  opened = openTestStore(notesRegistry())
  const bus = new BroadcastRing(capacity)
  opened.store.onCommit((events) => bus.publish(events))
  return { store: opened.store, bus }
}

describe('Projection', () => {
  it('rebuilds from the store at start, paging by position', async () => {
    const { store, bus } = setup()
    for (let i = 0; i < 25; i++) await store.append(board, 'any', [note(`n${i}`)])
    const projection = makeBoardProjection()
    await projection.start({ store, bus }, { pageSize: 7 })
    expect(projection.position).toBe(25)
    expect(projection.state.notes.map((n) => n.text)).toEqual(Array.from({ length: 25 }, (_, i) => `n${i}`))
    await projection.stop()
  })

  it('follows the bus after start and resolves waitFor once the position is applied', async () => {
    const { store, bus } = setup()
    const projection = makeBoardProjection()
    await projection.start({ store, bus })
    const { position } = await store.append(board, 'any', [note('live')])
    await projection.waitFor(position)
    expect(projection.state.notes.map((n) => n.text)).toEqual(['live'])
    expect(projection.counters()).toMatchObject({ position, lag: 0 })
    await projection.stop()
  })

  it('catches up from the store after lagging, so it never misses an event', async () => {
    const capacity = 8
    const { store, bus } = setup(capacity)
    const projection = makeBoardProjection()
    await projection.start({ store, bus })
    // One group commit of 10× the ring's capacity publishes them all before the runner can read.
    const appends = Array.from({ length: capacity * 10 }, (_, i) => store.append(board, 'any', [note(`n${i}`)]))
    const results = await Promise.all(appends)
    await projection.waitFor(results.at(-1)?.position ?? 0)
    expect(projection.counters().lagged).toBeGreaterThanOrEqual(1)
    expect(projection.state.notes).toHaveLength(capacity * 10)
    expect(new Set(projection.state.notes.map((n) => n.id)).size).toBe(capacity * 10)
    await projection.stop()
  })

  it('misses nothing committed while it is rebuilding (subscribe before replay)', async () => {
    const { store, bus } = setup()
    for (let i = 0; i < 50; i++) await store.append(board, 'any', [note(`old${i}`)])
    const projection = makeBoardProjection()
    const starting = projection.start({ store, bus }, { pageSize: 5 })
    const during = await Promise.all([1, 2, 3].map((i) => store.append(board, 'any', [note(`new${i}`)])))
    await starting
    await projection.waitFor(during.at(-1)?.position ?? 0)
    expect(projection.state.notes).toHaveLength(53)
    await projection.stop()
  })

  it('rejects waitFor after a timeout with the position it is stuck at', async () => {
    const { store, bus } = setup()
    const projection = makeBoardProjection()
    await projection.start({ store, bus })
    await expect(projection.waitFor(99, { timeoutMs: 20 })).rejects.toThrow(
      'Cannot wait for projection "board" to reach 99: still at 0 after 20 ms',
    )
    await projection.stop()
  })

  it('rejects a pending waitFor when stopped, and accepts waits again after a restart', async () => {
    const { store, bus } = setup()
    const projection = makeBoardProjection()
    await projection.start({ store, bus })
    const pending = projection.waitFor(5)
    await projection.stop()
    await expect(pending).rejects.toThrow('Cannot wait for projection "board" to reach 5: it is not running')
    await projection.start({ store, bus })
    const { position } = await store.append(board, 'any', [note('again')])
    await projection.waitFor(position)
    expect(projection.state.notes.map((n) => n.text)).toEqual(['again'])
    await projection.stop()
  })

  it('refuses a second concurrent start', async () => {
    const { store, bus } = setup()
    const projection = makeBoardProjection()
    await projection.start({ store, bus })
    await expect(projection.start({ store, bus })).rejects.toThrow('already running')
    await projection.stop()
    expect(bus.counters().subscribers).toBe(0)
  })

  it('counts a failing apply and keeps going', async () => {
    const { store, bus } = setup()
    const fragile = defineProjection<number>({
      name: 'fragile',
      initial: () => 0,
      apply(state, event) {
        if ((event.data as { text: string }).text === 'bad') throw new Error('boom')
        return state + 1
      },
    })
    const lines: string[] = []
    const projection = new Projection(fragile, { log: createLogger({ write: (line) => lines.push(line) }) })
    await projection.start({ store, bus })
    await store.append(board, 'any', [note('ok'), note('bad'), note('ok')])
    await projection.waitFor(3)
    expect(projection.state).toBe(2)
    expect(projection.counters().failures).toBe(1)
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: 'error', msg: 'Projection "fragile" failed to apply event', position: 2 }),
    ])
    await projection.stop()
  })
})

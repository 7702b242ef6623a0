import { describe, expect, it } from 'bun:test'
import { jsonSnapshotCodec, UnsnapshottableStateError } from '../../../../src/core/eventsourcing/snapshots/codec.ts'

const codec = jsonSnapshotCodec<unknown>()
const roundTrip = (state: unknown) => codec.decode(codec.encode(state))

describe('the default snapshot codec', () => {
  it('keeps Maps and Sets, nested and in insertion order', () => {
    const state = {
      lists: new Map<string, unknown>([
        ['b', { todos: [{ id: '1', text: 'x', completed: false }] }],
        ['a', { tags: new Set(['z', 'y']) }],
      ]),
      counts: new Map([['global', 3]]),
    }
    const restored = roundTrip(state) as typeof state
    expect(restored).toEqual(state)
    expect([...restored.lists.keys()]).toEqual(['b', 'a'])
    expect([...(restored.lists.get('a') as { tags: Set<string> }).tags]).toEqual(['z', 'y'])
  })

  it('refuses what JSON would change silently, instead of writing a snapshot that folds differently', () => {
    class Thing {}
    for (const state of [
      { at: new Date(0) },
      { n: Number.NaN },
      { n: Number.POSITIVE_INFINITY },
      { f: () => 1 },
      { list: [1, undefined] },
      { thing: new Thing() },
      { fake: { '$ironstar:map': [] } },
    ]) {
      expect(() => codec.encode(state)).toThrow(UnsnapshottableStateError)
    }
  })

  it('leaves plain JSON as it is', () => {
    const state = { a: [1, 'two', null, { b: true }], c: {} }
    expect(codec.encode(state)).toBe(JSON.stringify(state))
    expect(roundTrip(state)).toEqual(state)
  })
})

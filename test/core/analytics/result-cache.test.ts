import { describe, expect, it } from 'bun:test'
import { ANY_EVENT, ResultCache } from '../../../src/core/analytics/result-cache.ts'

function clock() {
  let now = 0
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

describe('ResultCache', () => {
  it('computes once and then answers from the cache', async () => {
    const cache = new ResultCache<number>()
    let runs = 0
    const compute = async () => ++runs
    expect(await cache.getOrCompute('q', ['TodoAdded'], compute)).toBe(1)
    expect(await cache.getOrCompute('q', ['TodoAdded'], compute)).toBe(1)
    expect(cache.counters()).toMatchObject({ hits: 1, misses: 1, size: 1 })
  })

  it('shares one computation between concurrent callers', async () => {
    const cache = new ResultCache<number>()
    let runs = 0
    const compute = async () => {
      await Promise.resolve()
      return ++runs
    }
    expect(await Promise.all([cache.getOrCompute('q', [], compute), cache.getOrCompute('q', [], compute)])).toEqual([
      1, 1,
    ])
  })

  it('expires an entry at its TTL even when it is read often', () => {
    const time = clock()
    const cache = new ResultCache<string>({ ttlMs: 300_000, idleMs: 60_000, now: time.now })
    cache.set('q', 'v', [])
    for (let i = 0; i < 9; i++) {
      time.advance(30_000)
      expect(cache.get('q')).toBe('v')
    }
    time.advance(30_000)
    expect(cache.get('q')).toBeUndefined()
  })

  it('expires an entry nobody read for the idle time', () => {
    const time = clock()
    const cache = new ResultCache<string>({ idleMs: 60_000, now: time.now })
    cache.set('q', 'v', [])
    time.advance(59_999)
    expect(cache.get('q')).toBe('v')
    time.advance(60_000)
    expect(cache.get('q')).toBeUndefined()
  })

  it('evicts only the entries that depend on an arriving event type', () => {
    const cache = new ResultCache<string>()
    cache.set('todos', 't', ['TodoAdded', 'TodoToggled'])
    cache.set('counter', 'c', ['CounterIncremented'])
    cache.set('all', 'a', [ANY_EVENT])
    expect(cache.evictFor(['TodoToggled'])).toBe(2)
    expect(cache.get('todos')).toBeUndefined()
    expect(cache.get('all')).toBeUndefined()
    expect(cache.get('counter')).toBe('c')
  })

  it('does not store a result computed while an event it depends on arrived', async () => {
    const cache = new ResultCache<number>()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const running = cache.getOrCompute('q', ['TodoAdded'], async () => {
      await gate
      return 1
    })
    cache.evictFor(['TodoAdded'])
    release()
    expect(await running).toBe(1)
    expect(cache.get('q')).toBeUndefined()
  })

  it('keeps at most maxEntries, dropping the least recently used', () => {
    const cache = new ResultCache<number>({ maxEntries: 2 })
    cache.set('a', 1, ['X'])
    cache.set('b', 2, ['X'])
    cache.get('a')
    cache.set('c', 3, ['X'])
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3])
    expect(cache.evictFor(['X'])).toBe(2)
  })

  it('keeps its entries within maxBytes, dropping the least recently used, and never stores one too big', () => {
    const cache = new ResultCache<string>({ maxBytes: 10, sizeOf: (value) => value.length })
    cache.set('a', 'aaaa', ['X'])
    cache.set('b', 'bbbb', ['X'])
    cache.get('a')
    cache.set('c', 'cccc', ['X'])
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual(['aaaa', undefined, 'cccc'])
    expect(cache.counters()).toMatchObject({ size: 2, bytes: 8 })
    cache.set('huge', 'h'.repeat(11), ['X'])
    expect(cache.get('huge')).toBeUndefined()
    expect(cache.counters()).toMatchObject({ size: 2, bytes: 8 })
    expect(cache.evictFor(['X'])).toBe(2)
    expect(cache.counters().bytes).toBe(0)
  })

  it('keys by query and parameters', () => {
    expect(ResultCache.key('SELECT $1', [1])).not.toBe(ResultCache.key('SELECT $1', [2]))
    expect(ResultCache.key('SELECT $1', [1n])).toBe(ResultCache.key('SELECT $1', [1n]))
  })
})

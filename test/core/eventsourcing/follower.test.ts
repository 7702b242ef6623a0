import { describe, expect, it } from 'bun:test'
import { type Batch, Follower } from '../../../src/core/eventsourcing/follower.ts'
import { WaitError, Watermark } from '../../../src/core/eventsourcing/watermark.ts'
import { createLogger } from '../../../src/core/ops/log.ts'
import { board, boardBus, note } from './board-bus.ts'

const openBoard = boardBus()

function setup(capacity = 256) {
  return { ...openBoard(capacity), watermark: new Watermark('test reader') }
}

async function appendMany(store: ReturnType<typeof openBoard>['store'], count: number, prefix = 'n'): Promise<number> {
  // Appends that arrive together are one group commit: published at once, faster than a reader wakes.
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) => store.append(board, 'any', [note(`${prefix}${i}`)])),
  )
  return Math.max(...results.map((result) => result.position))
}

/** Records every event position handed over and advances the watermark, as a projection does. */
function recorder(watermark: Watermark, onBatch: (batch: Batch) => void | Promise<void> = () => {}) {
  const positions: number[] = []
  const kinds: Batch['kind'][] = []
  const handler = {
    async handle(batch: Batch) {
      await onBatch(batch)
      kinds.push(batch.kind)
      if (batch.kind === 'lagged') return
      positions.push(...batch.events.map((event) => event.position))
      const last = batch.events.at(-1)
      if (last) watermark.advance(last.position)
    },
  }
  return { positions, kinds, handler }
}

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

function captureLog() {
  const lines: string[] = []
  return { lines, log: createLogger({ format: 'json', write: (line) => lines.push(line) }) }
}

describe('Follower', () => {
  it('replays the store in pages, then follows the ring', async () => {
    const { store, bus, watermark } = setup()
    await appendMany(store, 12)
    const { positions, kinds, handler } = recorder(watermark)
    const follower = new Follower('test reader', handler)
    await follower.start({ bus, store, watermark }, { batchSize: 5 })
    expect(kinds).toEqual(['log', 'log', 'log'])
    const { position } = await store.append(board, 'any', [note('live')])
    await watermark.waitFor(position)
    expect(kinds.at(-1)).toBe('live')
    expect(positions).toEqual(upTo(13))
    await follower.stop()
  })

  it('catches up from the store after a lag, without a gap and without duplicates', async () => {
    const { store, bus, watermark } = setup(4)
    const { positions, kinds, handler } = recorder(watermark)
    const follower = new Follower('test reader', handler)
    await follower.start({ bus, store, watermark }, { batchSize: 3 })
    const head = await appendMany(store, 40)
    await watermark.waitFor(head)
    expect(follower.counters().lagged).toBeGreaterThanOrEqual(1)
    expect(kinds).toContain('log')
    expect(positions).toEqual(upTo(40))
    // Still following after the catch-up.
    const { position } = await store.append(board, 'any', [note('after')])
    await watermark.waitFor(position)
    expect(positions).toEqual(upTo(41))
    await follower.stop()
  })

  it('misses nothing committed while it replays, and hands nothing over twice (subscribe before replay)', async () => {
    const { store, bus, watermark } = setup()
    await appendMany(store, 8)
    const committedDuringReplay: number[] = []
    // A commit while each page is handed over: the first one the replay reads again (the ring's
    // copy must be dropped), the one during the last page only the ring can bring.
    const { positions, handler } = recorder(watermark, async (batch) => {
      if (batch.kind !== 'log') return
      committedDuringReplay.push((await store.append(board, 'any', [note('during')])).position)
    })
    const follower = new Follower('test reader', handler)
    await follower.start({ bus, store, watermark }, { batchSize: 5 })
    expect(committedDuringReplay).toEqual([9, 10])
    await watermark.waitFor(10, { timeoutMs: 1_000 })
    await Bun.sleep(20) // give a duplicate time to show up
    expect(positions).toEqual(upTo(10))
    await follower.stop()
  })

  it('resumes from the watermark it is given, not from the start of the log', async () => {
    const { store, bus, watermark } = setup()
    await appendMany(store, 10)
    watermark.open(6)
    const { positions, handler } = recorder(watermark)
    const follower = new Follower('test reader', handler)
    await follower.start({ bus, store, watermark })
    expect(positions).toEqual([7, 8, 9, 10])
    await follower.stop()
  })

  it('retries a batch that threw from the store: counted, logged once, nothing skipped', async () => {
    const { store, bus, watermark } = setup()
    const { lines, log } = captureLog()
    let failed = false
    const { positions, kinds, handler } = recorder(watermark, (batch) => {
      if (batch.kind === 'live' && !failed) {
        failed = true
        throw new Error('disk on fire')
      }
    })
    const follower = new Follower('test reader', handler, { retryMs: 20, log })
    await follower.start({ bus, store, watermark })
    const { position } = await store.append(board, 'any', [note('a'), note('b')])
    await watermark.waitFor(position, { timeoutMs: 2_000 })
    expect(positions).toEqual([1, 2])
    expect(kinds).toEqual(['log']) // the live batch failed; the retry read it from the store
    expect(follower.counters().failures).toBe(1)
    // One line when it failed, one when it worked again (just after the watermark moved).
    await waitUntil(() => lines.length === 2)
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      { level: 'error', msg: 'Cannot follow test reader: a batch failed', error: { message: 'disk on fire' } },
      { level: 'info', msg: 'Following test reader again', failures: 1 },
    ])
    await follower.stop()
  })

  it('keeps retrying while the store read fails, logging the period once, and stops retrying when stopped', async () => {
    const { store, bus, watermark } = setup()
    const { lines, log } = captureLog()
    const { handler } = recorder(watermark, () => {
      throw new Error('always')
    })
    const follower = new Follower('test reader', handler, { retryMs: 10, log })
    await follower.start({ bus, store, watermark })
    await store.append(board, 'any', [note('a')])
    // Three retries take 30 ms on an idle machine; a loaded one may take longer, never forever.
    await waitUntil(() => follower.counters().failures >= 3)
    expect(watermark.position).toBe(0)
    await follower.stop()
    const failures = follower.counters().failures
    await Bun.sleep(50)
    expect(follower.counters().failures).toBe(failures)
    // Every attempt counted, but one line for the period, not a stack per retry.
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['Cannot follow test reader: a batch failed'])
  })

  it('rejects start and unsubscribes when the replay fails', async () => {
    const { store, bus, watermark } = setup()
    await appendMany(store, 3)
    const { handler } = recorder(watermark, () => {
      throw new Error('cannot rebuild')
    })
    const follower = new Follower('test reader', handler)
    await expect(follower.start({ bus, store, watermark })).rejects.toThrow('cannot rebuild')
    expect(follower.isRunning).toBe(false)
    expect(bus.counters().subscribers).toBe(0)
  })

  it('refuses a second start while running', async () => {
    const { store, bus, watermark } = setup()
    const follower = new Follower('test reader', recorder(watermark).handler)
    await follower.start({ bus, store, watermark })
    await expect(follower.start({ bus, store, watermark })).rejects.toThrow(
      'Cannot start test reader: it is already running',
    )
    await follower.stop()
  })

  it('rejects a pending wait when stopped, and unsubscribes', async () => {
    const { store, bus, watermark } = setup()
    const follower = new Follower('test reader', recorder(watermark).handler)
    await follower.start({ bus, store, watermark })
    const waiting = watermark.waitFor(99, { timeoutMs: 5_000 })
    await follower.stop()
    const error = await waiting.catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(WaitError)
    expect((error as WaitError).reason).toBe('stopped')
    expect((error as WaitError).message).toBe(
      'Cannot wait for test reader to reach 99: it is not running (stopped at 0)',
    )
    expect(bus.counters().subscribers).toBe(0)
  })

  it('ends and rejects pending waits when the ring closes (shutdown)', async () => {
    const { store, bus, watermark } = setup()
    const follower = new Follower('test reader', recorder(watermark).handler)
    await follower.start({ bus, store, watermark })
    const waiting = watermark.waitFor(99)
    bus.close()
    await follower.finished
    expect(follower.isRunning).toBe(false)
    await expect(waiting).rejects.toMatchObject({ reason: 'stopped' })
  })

  it('without a store, hands a lag over as a lagged batch at the newest position', async () => {
    const { store, bus } = setup(4)
    const batches: Batch[] = []
    const follower = new Follower('test feed', { handle: (batch) => void batches.push(batch) })
    await follower.start({ bus })
    const head = await appendMany(store, 20)
    const lagged = await waitUntil(() => batches.find((batch) => batch.kind === 'lagged'))
    expect(lagged).toEqual({ kind: 'lagged', position: head })
    expect(follower.counters().lagged).toBe(1)
    await follower.stop()
  })

  it('without a store, goes on with the next batch after one threw', async () => {
    const { store, bus } = setup()
    const { lines, log } = captureLog()
    const seen: number[] = []
    const follower = new Follower(
      'test feed',
      {
        handle(batch) {
          if (batch.kind !== 'live') return
          seen.push(...batch.events.map((event) => event.position))
          if (seen.length === 1) throw new Error('render failed')
        },
      },
      { log },
    )
    await follower.start({ bus })
    await store.append(board, 'any', [note('a')])
    await waitUntil(() => seen.length === 1)
    await store.append(board, 'any', [note('b')])
    await waitUntil(() => seen.length === 2)
    expect(seen).toEqual([1, 2])
    expect(follower.counters().failures).toBe(1)
    await waitUntil(() => lines.length === 2) // logged just after the batch that worked
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual([
      'Cannot follow test feed: a batch failed',
      'Following test feed again',
    ])
    await follower.stop()
  })
})

async function waitUntil<T>(check: () => T, timeoutMs = 2_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value) return value
    if (Date.now() > deadline) throw new Error('Condition not met in time')
    await Bun.sleep(5)
  }
}

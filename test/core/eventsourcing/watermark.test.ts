import { describe, expect, it } from 'bun:test'
import { WaitError, Watermark } from '../../../src/core/eventsourcing/watermark.ts'

function opened(position = 0): Watermark {
  const watermark = new Watermark('test reader')
  watermark.open(position)
  return watermark
}

async function failure(promise: Promise<void>): Promise<WaitError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  )
  if (!(error instanceof WaitError)) throw new Error(`Expected a WaitError, got ${String(error)}`)
  return error
}

describe('Watermark', () => {
  it('resolves at once for a position already reached, else on the advance that reaches it', async () => {
    const watermark = opened(5)
    await watermark.waitFor(5)
    const order: number[] = []
    const near = watermark.waitFor(7).then(() => order.push(7))
    const far = watermark.waitFor(9).then(() => order.push(9))
    watermark.advance(8)
    await near
    expect(order).toEqual([7])
    watermark.advance(6) // never moves back
    expect(watermark.position).toBe(8)
    watermark.advance(9)
    await far
    expect(order).toEqual([7, 9])
  })

  it('rejects after the timeout with the position it is stuck at', async () => {
    const watermark = opened(3)
    const error = await failure(watermark.waitFor(10, { timeoutMs: 20 }))
    expect(error.reason).toBe('timeout')
    expect(error.message).toBe('Cannot wait for test reader to reach 10: still at 3 after 20 ms')
  })

  it('rejects when its signal aborts, and at once for a signal already aborted', async () => {
    const watermark = opened()
    const controller = new AbortController()
    const waiting = watermark.waitFor(10, { signal: controller.signal })
    controller.abort()
    const error = await failure(waiting)
    expect(error.reason).toBe('aborted')
    expect(error.message).toBe('Cannot wait for test reader to reach 10: the wait was aborted')
    expect((await failure(watermark.waitFor(10, { signal: controller.signal }))).reason).toBe('aborted')
    // A position already reached needs no wait, aborted or not.
    await watermark.waitFor(0, { signal: controller.signal })
  })

  it('rejects pending and new waits once closed, and accepts them again when reopened', async () => {
    const watermark = opened(2)
    const pending = watermark.waitFor(4)
    watermark.close()
    expect((await failure(pending)).reason).toBe('stopped')
    expect((await failure(watermark.waitFor(4))).message).toBe(
      'Cannot wait for test reader to reach 4: it is not running (stopped at 2)',
    )
    await watermark.waitFor(2) // what was reached stays reached
    watermark.open(0)
    const again = watermark.waitFor(1)
    watermark.advance(1)
    await again
  })

  it('rejects a wait before it was ever opened', async () => {
    const watermark = new Watermark('test reader')
    expect((await failure(watermark.waitFor(1))).reason).toBe('stopped')
  })

  it('lets a settled waiter go: a timeout after an advance changes nothing', async () => {
    const watermark = opened()
    const waiting = watermark.waitFor(1, { timeoutMs: 20 })
    watermark.advance(1)
    await waiting
    await Bun.sleep(40) // the cleared timer must not fire into a settled promise
    watermark.close()
    await watermark.waitFor(1)
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { Analytics } from '../../../src/core/analytics/analytics.ts'
import { BroadcastRing } from '../../../src/core/eventsourcing/bus.ts'
import { WaitError } from '../../../src/core/eventsourcing/watermark.ts'
import { DashboardModel } from '../../../src/features/analytics/dashboard-model.ts'
import { todoLifecycle } from '../../../src/features/analytics/tables.ts'
import { openTestStore, type TestStore } from '../../fixtures/store.ts'

let test: TestStore
let analytics: Analytics

beforeAll(async () => {
  test = openTestStore()
  const bus = new BroadcastRing()
  test.store.onCommit((events) => bus.publish(events))
  analytics = await Analytics.start(test.store, bus, { tables: [todoLifecycle] })
})

afterAll(async () => {
  await analytics.close()
  await test.close()
})

async function deposit(): Promise<number> {
  const result = await test.store.append({ type: 'account', id: crypto.randomUUID() }, 0, [
    { type: 'AccountOpened', data: { owner: 'x' } },
  ])
  return result.position
}

describe('DashboardModel', () => {
  it('refreshes at most once per interval however many positions it is asked for', async () => {
    const model = new DashboardModel(analytics, { intervalMs: 400 })
    await model.waitFor(await deposit())
    expect(model.refreshes).toBe(1)
    const started = performance.now()
    const positions = [await deposit(), await deposit(), await deposit()]
    await Promise.all(positions.map((position) => model.waitFor(position)))
    expect(model.refreshes).toBe(2)
    expect(performance.now() - started).toBeGreaterThanOrEqual(350)
    expect(model.position).toBe(Math.max(...positions))
  })

  it('reflects the events it waited for in the chart data', async () => {
    const model = new DashboardModel(analytics, { intervalMs: 0 })
    const position = await deposit()
    await model.waitFor(position)
    const perMinute = model.snapshot.data.find((item) => item.query.id === 'events-per-minute')
    const total = perMinute?.result?.rows.reduce((sum, row) => sum + Number(row[2]), 0)
    expect(total).toBe(position)
  })
  it('gives up on a position never reached with the one wait rule: timeout or abort', async () => {
    const model = new DashboardModel(analytics, { intervalMs: 0 })
    const timedOut = await model.waitFor(1_000_000, { timeoutMs: 50 }).catch((error: unknown) => error)
    expect(timedOut).toBeInstanceOf(WaitError)
    expect((timedOut as WaitError).message).toMatch(
      /^Cannot wait for the dashboard to reach 1000000: still at \d+ after 50 ms$/,
    )
    const controller = new AbortController()
    const aborted = model.waitFor(1_000_000, { signal: controller.signal }).catch((error: unknown) => error)
    controller.abort()
    expect(await aborted).toMatchObject({ name: 'WaitError', reason: 'aborted' })
  })
})

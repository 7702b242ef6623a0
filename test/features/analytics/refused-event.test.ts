import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { SKIPPED_METRIC } from '../../../src/core/analytics/refused-events.ts'
import { analytics } from '../../../src/features/analytics/index.ts'
import { analyticsService } from '../../../src/features/analytics/service.ts'
import { todoStream } from '../../../src/features/todo/domain.ts'
import { todos } from '../../../src/features/todo/index.ts'
import { type AppServer, type Client, startAppServer } from '../app-server.ts'

let app: AppServer
let client: Client

beforeAll(async () => {
  app = await startAppServer([todos, analytics])
  client = app.client()
})

afterAll(async () => {
  await app.close()
})

async function skipped(): Promise<number> {
  const text = await (await client.get('/metrics')).text()
  return Number(new RegExp(`^${SKIPPED_METRIC} (\\d+)$`, 'm').exec(text)?.[1])
}

async function readyWithin(ms: number): Promise<Response> {
  const deadline = performance.now() + ms
  for (;;) {
    const response = await client.get('/readyz')
    if (response.status === 200 || performance.now() > deadline) return response
    await Bun.sleep(25)
  }
}

describe('analytics and an event DuckDB cannot ingest', () => {
  it('skips it, counts it on /metrics, becomes ready, and ingests the events after it', async () => {
    const service = app.server.app.resource(analyticsService).analytics
    expect((await readyWithin(5_000)).status).toBe(200)
    const before = await skipped()
    // Straight into the store, past the HTTP boundary that now refuses such text: an older
    // log, or another writer, can still hold it.
    const bad = await app.server.app.store.append(todoStream('poisoned'), 'any', [
      { type: 'TodoAdded', data: { id: 'bad', text: 'lone \ud800 surrogate', at: new Date().toISOString() } },
    ])

    // Ingestion moves past it (a stalled one never would), and the node is ready.
    await service.ingestion.waitFor(bad.position)
    expect((await readyWithin(5_000)).status).toBe(200)
    expect(await skipped()).toBe(before + 1)

    expect((await client.post('/todos', { text: 'After the bad one' })).status).toBe(303)
    await service.ingestion.waitFor(await app.server.app.store.headPosition())
    expect((await readyWithin(5_000)).status).toBe(200)
    const landed = await service.db.query(
      "SELECT count(*) FROM events WHERE type = 'TodoAdded' AND (payload->>'text') = 'After the bad one'",
    )
    expect(Number(landed.rows[0]?.[0])).toBe(1)
    expect(await skipped()).toBe(before + 1)
  })
})

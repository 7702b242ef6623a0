import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { feedCounters } from '../../src/core/sse.ts'
import { SseConnection } from '../../src/core/testing/sse-client.ts'
import { analytics } from '../../src/features/analytics/index.ts'
import { counter } from '../../src/features/counter/index.ts'
import { monitor } from '../../src/features/monitor/index.ts'
import { sortable } from '../../src/features/sortable/index.ts'
import { todos } from '../../src/features/todo/index.ts'
import { type AppServer, startAppServer } from './app-server.ts'

let app: AppServer
let base: string
const open: SseConnection[] = []

beforeAll(async () => {
  app = await startAppServer([todos, counter, sortable, monitor, analytics])
  base = app.server.url.origin
})

afterAll(async () => {
  for (const connection of open) connection.close()
  await app.close()
})

const counters = () => feedCounters(app.server.app.bus)

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Condition not met in time: ${JSON.stringify(counters())}`)
    await Bun.sleep(20)
  }
}

async function feed(path: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const connection = await SseConnection.open(base + path, { headers })
  open.push(connection)
  return connection
}

describe('feeds through the real server', () => {
  it('counts monitor feeds with the other feeds, compressed ones against the compression bound', async () => {
    const monitorFeed = await feed('/monitor/feed', { 'Accept-Encoding': 'br' })
    expect(monitorFeed.response.headers.get('content-encoding')).toBe('br')
    expect((await monitorFeed.next())?.data).toContain('monitor-tiles')
    expect(counters()).toMatchObject({ connections: 1, compressed: 1 })
    monitorFeed.close()
    await waitUntil(() => counters().connections === 0 && counters().compressed === 0)
  })
})

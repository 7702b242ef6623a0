import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { SKIPPED_METRIC } from '../../src/core/analytics/refused-events.ts'
import {
  BACKGROUND,
  get,
  metric,
  readyWithin,
  runCampaign,
  summarise,
  visitAsABrowserWould,
} from './hostile-campaign.ts'
import {
  type HostileServer,
  headPosition,
  smuggledWrites,
  startHostileServer,
  storedInvalidText,
  typesAfter,
} from './hostile-process.ts'
import { KINDS, type Known } from './hostile-requests.ts'
import { encodeRequest } from './hostile-wire.ts'
import { sendRaw } from './raw-http.ts'

// The fuzz harness (bench/fuzz/hostile-http.ts) runs the same campaign with many more requests.
const SEED = 0x1c0ffee
const REQUESTS = 2_400
/** Generous: a leak of tens of kilobytes per request would still pass it. */
const MAX_RSS_GROWTH_BYTES = 256 * 1024 * 1024

let server: HostileServer
let known: Known

beforeAll(async () => {
  server = await startHostileServer()
  known = await visitAsABrowserWould(server)
}, 30_000)

afterAll(async () => {
  await server?.stop()
})

describe('hostile input across every route', () => {
  it('refuses the reported shapes outright and writes nothing', async () => {
    const before = headPosition(server)
    const post = (path: string, body: string, type = 'application/json') =>
      fetch(server.origin + path, {
        method: 'POST',
        body,
        redirect: 'manual',
        headers: { Cookie: known.cookie, 'Content-Type': type },
      })
    expect((await post('/todos', '{"text":"\\ud800"}')).status).toBe(422)
    expect((await post('/todos', 'text=&'.repeat(10_000), 'application/x-www-form-urlencoded')).status).toBe(413)
    for (const to of ['""', 'null', 'true']) {
      expect((await post('/sortable/ship/move', `{"to":${to}}`)).status).toBe(422)
    }
    expect(typesAfter(server, before).filter((type) => !BACKGROUND.has(type))).toEqual([])
  })

  it(`answers ${REQUESTS} generated requests without a 5xx, a write from refused input, or a leak`, async () => {
    expect(server.routes.length).toBeGreaterThan(20)
    const result = await runCampaign(server, known, { seed: SEED, requests: REQUESTS })

    expect(server.child.exitCode).toBeNull()
    expect((await sendRaw(server.port, encodeRequest(get('/healthz'), server.host))).status).toBe(200)
    const { problems } = result
    expect({ summary: summarise(problems), first: problems.slice(0, 40) }).toEqual({ summary: {}, first: [] })
    expect(result.rssAfterBytes - result.rssBeforeBytes).toBeLessThan(MAX_RSS_GROWTH_BYTES)
    // A request cut short may get no answer, only a closed connection (one left hanging is a problem above).
    expect(KINDS.filter((kind) => kind !== 'truncated' && !result.answeredKinds.has(kind))).toEqual([])
    // What the store accepted, every projection takes: no text DuckDB refuses, nothing skipped.
    expect(storedInvalidText(server)).toEqual([])
    expect(smuggledWrites(server)).toBe(0)
    expect(await readyWithin(server, 5_000)).toBe(200)
    expect(await metric(server, SKIPPED_METRIC)).toBe(0)
  }, 60_000)

  it('leaves no feed open once every client has gone, and every feed opens again', async () => {
    const deadline = performance.now() + 3_000
    while ((await metric(server, 'ironstar_sse_connections')) > 0 && performance.now() < deadline) await Bun.sleep(50)
    expect(await metric(server, 'ironstar_sse_connections')).toBe(0)
    for (const route of server.routes.filter((r) => r.path.endsWith('/feed'))) {
      const answer = await sendRaw(server.port, encodeRequest(get(route.path, [['Cookie', known.cookie]]), server.host))
      expect({ feed: route.path, status: answer.status }).toEqual({ feed: route.path, status: 200 })
    }
  })
})

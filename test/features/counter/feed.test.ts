import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { parseElementsPatch, type SseConnection, type SseEvent } from '../../../src/core/testing/sse-client.ts'
import { globalCounterStream } from '../../../src/features/counter/domain.ts'
import { counter } from '../../../src/features/counter/index.ts'
import { type AppServer, type Client, startAppServer } from '../app-server.ts'

const RING_CAPACITY = 16
let app: AppServer
const open: SseConnection[] = []

beforeAll(async () => {
  app = await startAppServer([counter], { env: { RING_CAPACITY: String(RING_CAPACITY) } })
})
afterAll(async () => {
  for (const connection of open) connection.close()
  await app.close()
})

const renders = () => app.server.app.feeds.counters().renders

/** A visitor with a session (from its first page) and an open counter feed, its opening patches taken. */
async function visitor(headers: Record<string, string> = {}): Promise<{ client: Client; feed: SseConnection }> {
  const client = app.client()
  await (await client.get('/counter')).text()
  const feed = await client.open('/counter/feed', headers)
  open.push(feed)
  await takeAll(feed)
  return { client, feed }
}

/** Every event that arrives until the feed is quiet for `quietMs`. */
async function takeAll(feed: SseConnection, quietMs = 150): Promise<SseEvent[]> {
  const events: SseEvent[] = []
  for (let event = await feed.next(2_000); event; event = await feed.next(quietMs)) events.push(event)
  return events
}

/** Which counter cards a patch carries, with their values: `["counter-global=3"]`. */
function cards(event: SseEvent): string[] {
  const { elements } = parseElementsPatch(event)
  return [...elements.matchAll(/<article id="(counter-[a-z]+)"[\s\S]*?<output>([\d,]+)<\/output>/g)].map(
    ([, id, value]) => `${id}=${value}`,
  )
}

const incrementsOf = (id: string) =>
  (app.server.app.db.query('SELECT count(*) AS n FROM events WHERE stream_id = ?').get(id) as { n: number }).n

/** The session stream a visitor's own increments go to, found from its first one. */
async function ownStreamOf(client: Client): Promise<string> {
  await client.post('/counter/session/increment')
  const events = await app.server.app.store.readAll({ after: 0, limit: 10_000 })
  const last = events.findLast((event) => event.stream.id.startsWith('session-'))
  return last?.stream.id ?? ''
}

describe('the counter feed: a shared fragment and one per session', () => {
  it('opens with both cards, each its own patch, the last carrying the id', async () => {
    const client = app.client()
    await (await client.get('/counter')).text()
    const feed = await client.open('/counter/feed')
    open.push(feed)
    const events = await takeAll(feed)
    expect(events.map((event) => cards(event).map((card) => card.split('=')[0]))).toEqual([
      ['counter-global'],
      ['counter-session'],
    ])
    expect(events.map((event) => event.id)).toEqual([null, String(await app.head())])
    feed.close()
  })

  it('renders a global increment once for 50 sessions, and every session gets the same bytes', async () => {
    const visitors = await Promise.all(Array.from({ length: 50 }, () => visitor()))
    const before = renders()
    const response = await visitors[0]?.client.post('/counter/global/increment')
    expect(response?.status).toBe(303)
    const received = await Promise.all(visitors.map(({ feed }) => takeAll(feed)))
    expect(renders() - before).toBe(1)
    const head = await app.head()
    const expected = `counter-global=${incrementsOf(globalCounterStream.id)}`
    for (const events of received)
      expect(events.map((event) => `${event.id} ${cards(event)}`)).toEqual([`${head} ${expected}`])
    for (const { feed } of visitors) feed.close()
  }, 30_000)

  it("sends a session's increment to every tab of that session only, rendered once", async () => {
    const ada = await visitor()
    const adaTab = await ada.client.open('/counter/feed')
    open.push(adaTab)
    await takeAll(adaTab)
    const bob = await visitor()
    const before = renders()
    await ada.client.post('/counter/session/increment')
    const [first, second, bobs] = await Promise.all([takeAll(ada.feed), takeAll(adaTab), takeAll(bob.feed)])
    expect(first.map(cards)).toEqual([['counter-session=1']])
    expect(second.map(cards)).toEqual([['counter-session=1']])
    expect(bobs).toEqual([])
    expect(renders() - before).toBe(1)
    for (const feed of [ada.feed, adaTab, bob.feed]) feed.close()
  })

  it('resumes from Last-Event-ID with only the fragments that changed since', async () => {
    const ada = await visitor()
    const bob = await visitor()
    const adaStream = await ownStreamOf(ada.client)
    await takeAll(ada.feed)
    ada.feed.close()
    const since = String(await app.head())

    await bob.client.post('/counter/session/increment') // not Ada's: nothing to resend
    const nothing = await ada.client.open('/counter/feed', { 'Last-Event-ID': since })
    open.push(nothing)
    expect(await takeAll(nothing, 300)).toEqual([])
    nothing.close()

    await bob.client.post('/counter/global/increment')
    const globalOnly = await ada.client.open('/counter/feed', { 'Last-Event-ID': since })
    open.push(globalOnly)
    const resent = await takeAll(globalOnly)
    expect(resent.map((event) => `${event.id} ${cards(event)}`)).toEqual([
      `${await app.head()} counter-global=${incrementsOf(globalCounterStream.id)}`,
    ])
    globalOnly.close()

    const after = String(await app.head())
    await ada.client.post('/counter/session/increment')
    const ownOnly = await ada.client.open('/counter/feed', { 'Last-Event-ID': after })
    open.push(ownOnly)
    expect((await takeAll(ownOnly)).map(cards)).toEqual([[`counter-session=${incrementsOf(adaStream)}`]])
    for (const feed of [ownOnly, bob.feed]) feed.close()
  })

  it('gives the id only to the last patch when one commit changes both fragments of a connection', async () => {
    const ada = await visitor()
    const adaStream = await ownStreamOf(ada.client)
    await takeAll(ada.feed)
    const { store } = app.server.app
    const at = new Date().toISOString()
    // Appended together, so the group commit publishes both events at once.
    const [global, own] = await Promise.all(
      [globalCounterStream.id, adaStream].map((id) =>
        store.append({ type: 'counter', id }, 'any', [
          { type: 'CounterIncremented', data: { value: incrementsOf(id) + 1, at } },
        ]),
      ),
    )
    const events = await takeAll(ada.feed)
    expect(events.flatMap(cards).sort()).toEqual(
      [`counter-global=${incrementsOf(globalCounterStream.id)}`, `counter-session=${incrementsOf(adaStream)}`].sort(),
    )
    expect(events.map((event) => event.id)).toEqual([null, String(Math.max(global?.position ?? 0, own?.position ?? 0))])
    ada.feed.close()
  })

  it('resyncs each fragment once after its hub lagged behind the ring', async () => {
    const ada = await visitor()
    const adaStream = await ownStreamOf(ada.client)
    await takeAll(ada.feed)
    const { store } = app.server.app
    const start = incrementsOf(globalCounterStream.id)
    const at = new Date().toISOString()
    await Promise.all(
      Array.from({ length: RING_CAPACITY * 10 }, (_, i) =>
        store.append(globalCounterStream, 'any', [{ type: 'CounterIncremented', data: { value: start + i + 1, at } }]),
      ),
    )
    const events = await takeAll(ada.feed)
    expect(app.server.app.feeds.counters().lagged).toBeGreaterThanOrEqual(1)
    expect(events.flatMap(cards).sort()).toEqual(
      [`counter-global=${incrementsOf(globalCounterStream.id)}`, `counter-session=${incrementsOf(adaStream)}`].sort(),
    )
    expect(events.at(-1)?.id).toBe(String(await app.head()))
    expect(events.slice(0, -1).map((event) => event.id)).toEqual([null])
    ada.feed.close()
  })
})

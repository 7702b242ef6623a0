import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { type ClientRequest, request } from 'node:http'
import { constants, createGunzip } from 'node:zlib'
import { type SseEvent, SseParser } from '../../../src/core/testing/sse-client.ts'
import { globalCounterStream } from '../../../src/features/counter/domain.ts'
import { counter } from '../../../src/features/counter/index.ts'
import { type AppServer, type Client, startAppServer } from '../app-server.ts'

const RING_CAPACITY = 16
const KEEPALIVE_MS = 200
let app: AppServer
const open: RawFeed[] = []

beforeAll(async () => {
  app = await startAppServer([counter], {
    env: { RING_CAPACITY: String(RING_CAPACITY), KEEPALIVE_MS: String(KEEPALIVE_MS) },
  })
})
afterAll(async () => {
  for (const feed of open) feed.close()
  await app.close()
})

/**
 * A feed read off the socket as it arrives: with gzip, the raw bytes go through a streaming
 * gunzip as a browser's would (nothing is decoded before the server's flush), then an SSE parser.
 */
interface RawFeed {
  readonly encoding: string | null
  readonly events: SseEvent[]
  readonly wireBytes: () => number
  readonly lastId: () => string | null
  close(): void
}

function openFeed(cookie: string, encoding: 'gzip' | 'identity', lastEventId?: string): Promise<RawFeed> {
  const url = new URL('/counter/feed', app.server.url)
  const headers: Record<string, string> = { Cookie: cookie, 'Accept-Encoding': encoding }
  if (lastEventId) headers['Last-Event-ID'] = lastEventId
  return new Promise((resolve, reject) => {
    let req: ClientRequest | null = null
    req = request(url, { headers }, (res) => {
      const parser = new SseParser()
      const events: SseEvent[] = []
      let wire = 0
      let lastId: string | null = lastEventId ?? null
      const take = (text: string) => {
        for (const event of parser.push(text)) {
          events.push(event)
          if (event.id !== null) lastId = event.id
        }
      }
      const gzip = res.headers['content-encoding'] === 'gzip'
      const gunzip = gzip ? createGunzip({ flush: constants.Z_SYNC_FLUSH }) : null
      gunzip?.on('data', (chunk: Buffer) => take(chunk.toString('utf8')))
      // The stream never ends cleanly (a dropped feed is a reconnect): no trailer to check.
      gunzip?.on('error', () => {})
      res.on('data', (chunk: Buffer) => {
        wire += chunk.byteLength
        if (gunzip) gunzip.write(chunk)
        else take(chunk.toString('utf8'))
      })
      res.on('error', () => {})
      const feed: RawFeed = {
        encoding: gzip ? 'gzip' : null,
        events,
        wireBytes: () => wire,
        lastId: () => lastId,
        close: () => req?.destroy(),
      }
      open.push(feed)
      resolve(feed)
    })
    req.on('error', reject)
    req.end()
  })
}

async function settle(feeds: readonly RawFeed[], quietMs = 250): Promise<void> {
  let seen = -1
  for (;;) {
    await Bun.sleep(quietMs)
    const now = feeds.reduce((sum, feed) => sum + feed.events.length, 0)
    if (now === seen) return
    seen = now
  }
}

/** What a connection showed, without the ids (a resumed connection's differ by when it joined). */
const shown = (feed: RawFeed, from = 0) => feed.events.slice(from).map((event) => `${event.event}\n${event.data}`)

async function visitor(): Promise<{ client: Client; cookie: string }> {
  const client = app.client()
  const response = await client.get('/counter')
  await response.text()
  return { client, cookie: (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '' }
}

describe('the counter feed with gzip', () => {
  it('decodes on every connection to what an identity connection shows, through joins, keep-alives, per-session fragments, lag and resumes', async () => {
    const [ada, bob] = [await visitor(), await visitor()]
    const feeds = {
      adaPlain: await openFeed(ada.cookie, 'identity'),
      adaGzip: await openFeed(ada.cookie, 'gzip'),
      bobPlain: await openFeed(bob.cookie, 'identity'),
      bobGzip: await openFeed(bob.cookie, 'gzip'),
    }
    const all = () => Object.values(feeds)
    await settle(all())
    expect(feeds.adaGzip.encoding).toBe('gzip')
    expect(feeds.adaPlain.encoding).toBeNull()

    for (let i = 0; i < 3; i++) await ada.client.post('/counter/global/increment')
    await ada.client.post('/counter/session/increment')
    await bob.client.post('/counter/session/increment')
    await bob.client.post('/counter/global/increment')
    await settle(all())
    await Bun.sleep(KEEPALIVE_MS * 3) // keep-alives between patches
    await ada.client.post('/counter/global/increment')

    // A connection that joins mid-stream, in a session already watching.
    await settle(all())
    const late = await openFeed(ada.cookie, 'gzip')
    await settle([late])
    const lateFrom = late.events.length
    const adaFrom = feeds.adaPlain.events.length

    // A lag: more events at once than the ring holds, so every hub resyncs each fragment.
    const { store } = app.server.app
    const start = (await store.readStream(globalCounterStream)).length
    const at = new Date().toISOString()
    await Promise.all(
      Array.from({ length: RING_CAPACITY * 10 }, (_, i) =>
        store.append(globalCounterStream, 'any', [{ type: 'CounterIncremented', data: { value: start + i + 1, at } }]),
      ),
    )
    await settle(all())
    await bob.client.post('/counter/global/increment')
    await settle([...all(), late])
    expect(app.server.app.feeds.counters().lagged).toBeGreaterThanOrEqual(1)

    for (const [plain, gzip] of [
      [feeds.adaPlain, feeds.adaGzip],
      [feeds.bobPlain, feeds.bobGzip],
    ] as const) {
      expect(shown(plain).length).toBeGreaterThan(8)
      expect(shown(gzip)).toEqual(shown(plain))
    }
    expect(shown(late, lateFrom)).toEqual(shown(feeds.adaPlain, adaFrom))

    // Resumes: both of Bob's connections drop, the counters move, and they come back from their ids.
    feeds.bobPlain.close()
    feeds.bobGzip.close()
    await ada.client.post('/counter/global/increment')
    await bob.client.post('/counter/session/increment')
    const resumed = [
      await openFeed(bob.cookie, 'identity', feeds.bobPlain.lastId() ?? ''),
      await openFeed(bob.cookie, 'gzip', feeds.bobGzip.lastId() ?? ''),
    ] as const
    await settle(resumed)
    await ada.client.post('/counter/global/increment')
    await settle(resumed)
    expect(shown(resumed[0]).length).toBe(3) // both fragments changed, then one more
    expect(shown(resumed[1])).toEqual(shown(resumed[0]))

    const plainBytes = feeds.adaPlain.wireBytes()
    expect(feeds.adaGzip.wireBytes()).toBeLessThan(plainBytes / 3)
  }, 30_000)
})

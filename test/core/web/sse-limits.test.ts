import { describe, expect, it } from 'bun:test'
import { connect as tcpConnect } from 'node:net'
import { parseElementsPatch, SseConnection, type SseEvent } from '../../../src/core/testing/sse-client.ts'
import { useFeedServers, waitUntil } from '../../fixtures/feed-server.ts'

const { start, connect, track } = useFeedServers()

describe('serveFeed under pressure', () => {
  it('resyncs with one fat morph when its hub lagged behind 10× the ring capacity', async () => {
    const capacity = 16
    const s = await start({ ringCapacity: capacity })
    const feed = await connect(s, '?since=0')
    await Bun.sleep(50)
    const head = await s.addNotes(Array.from({ length: capacity * 10 }, (_, i) => `bulk ${i}`))
    const event = await feed.next()
    expect(event?.id).toBe(String(head))
    expect(parseElementsPatch(event as SseEvent).elements).toBe(s.currentView())
    expect(await feed.next(200)).toBeNull()
    expect(s.feeds.counters().lagged).toBeGreaterThanOrEqual(1)
  })

  it('renders once per change and writes the same bytes to every connection of a view', async () => {
    const s = await start()
    const feeds = await Promise.all(Array.from({ length: 20 }, () => connect(s, '?since=0')))
    await Bun.sleep(100)
    const before = s.feeds.counters().renders
    await s.addNote('shared')
    const events = await Promise.all(feeds.map((feed) => feed.next()))
    expect(s.feeds.counters().renders - before).toBe(1)
    expect(new Set(events.map((event) => `${event?.id}|${event?.data}`)).size).toBe(1)
  })

  it('keeps an idle feed open past Bun’s idle timeout with keep-alives, comments or (gzip) empty blocks', async () => {
    // Bun checks idle timeouts on a 4 s tick, so `idleTimeout: 1` closes a quiet stream within ~4 s.
    const s = await start({ idleTimeout: 1, keepAliveMs: 500 })
    const quiet = track(await SseConnection.open(s.url('/quiet')))
    const feed = await connect(s, '?since=0', { 'Accept-Encoding': 'identity' })
    const gzip = await connect(s, '?since=0', { 'Accept-Encoding': 'gzip' })
    await Bun.sleep(6_000)
    expect(quiet.isEnded).toBe(true) // the control: Bun did close a quiet stream
    expect([feed.isEnded, gzip.isEnded]).toEqual([false, false])
    expect(feed.comments).toBeGreaterThanOrEqual(1 + 6) // the opening comment, then ~12 keep-alives (slack for a busy machine)
    const position = await s.addNote('still here')
    expect((await feed.next())?.id).toBe(String(position))
    expect((await gzip.next())?.id).toBe(String(position))
  }, 15_000)

  it('decodes a gzip feed to the same events as an uncompressed one', async () => {
    const s = await start()
    const plain = await connect(s, '?since=0', { 'Accept-Encoding': 'identity' })
    const browser = await connect(s, '?since=0', { 'Accept-Encoding': 'gzip, deflate, br, zstd' })
    const gzip = await connect(s, '?since=0', { 'Accept-Encoding': 'gzip' })
    expect(plain.response.headers.get('content-encoding')).toBeNull()
    expect(browser.response.headers.get('content-encoding')).toBe('gzip')
    expect(gzip.response.headers.get('content-encoding')).toBe('gzip')
    await Bun.sleep(50)
    for (let i = 0; i < 20; i++) await s.addNote(`note ${i} ${'x'.repeat(i * 10)}`)
    const take = async (feed: SseConnection) => {
      const events: SseEvent[] = []
      for (let event = await feed.next(500); event; event = await feed.next(300)) events.push(event)
      return events
    }
    const [a, b, c] = await Promise.all([take(plain), take(browser), take(gzip)])
    expect(a.length).toBeGreaterThan(0)
    expect(b).toEqual(a)
    expect(c).toEqual(a)
    expect(a.at(-1)?.id).toBe(String(s.projection.position))
  })

  it('sends feeds uncompressed once the compressed-connection bound is reached', async () => {
    const s = await start({ limits: { maxCompressed: 1 } })
    const first = await connect(s, '', { 'Accept-Encoding': 'gzip' })
    const second = await connect(s, '', { 'Accept-Encoding': 'gzip' })
    expect(first.response.headers.get('content-encoding')).toBe('gzip')
    expect(second.response.headers.get('content-encoding')).toBeNull()
    expect((await second.next())?.event).toBe('datastar-patch-elements')
    first.close()
    await waitUntil(() => s.feeds.counters().compressed === 0)
    const third = await connect(s, '', { 'Accept-Encoding': 'gzip' })
    expect(third.response.headers.get('content-encoding')).toBe('gzip')
  })

  it('cuts off a client that stops reading once its queue passes the bound', async () => {
    const s = await start({ limits: { maxBufferedBytes: 256 * 1024 } })
    const socket = tcpConnect(Number(new URL(s.url('/')).port), '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.write('GET /board/feed?since=0 HTTP/1.1\r\nHost: localhost\r\n\r\n')
    socket.pause() // never read again
    await waitUntil(() => s.feeds.counters().connections === 1)
    const big = 'y'.repeat(16 * 1024)
    for (let i = 0; i < 120 && s.feeds.counters().overflows === 0; i++) await s.addNote(`${i} ${big}`)
    await waitUntil(() => s.feeds.counters().overflows === 1)
    expect(s.feeds.counters().connections).toBe(0)
    socket.destroy()
  }, 20_000)

  it('refuses a feed with 503 past the connection limit', async () => {
    const s = await start({ limits: { maxConnections: 2 } })
    await connect(s)
    await connect(s)
    const third = await fetch(s.url('/board/feed'))
    expect(third.status).toBe(503)
    expect(third.headers.get('retry-after')).toBe('5')
  })

  it('ends every feed with a reset when the bus closes, so browsers reconnect', async () => {
    const s = await start()
    const feeds = [await connect(s), await connect(s)]
    await Promise.all(feeds.map((feed) => feed.next()))
    s.bus.close()
    await Promise.all(feeds.map((feed) => feed.finished))
    expect(feeds.map((feed) => feed.endedBy)).toEqual(['error', 'error'])
    expect(s.feeds.counters().connections).toBe(0)
    const late = await fetch(s.url('/board/feed'))
    expect(late.status).toBe(503)
  })
})

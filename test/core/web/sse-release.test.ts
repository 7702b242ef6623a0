import { describe, expect, it } from 'bun:test'
import { useFeedServers, waitUntil } from '../../fixtures/feed-server.ts'

const { start, connect } = useFeedServers()

describe('serveFeed releases what it opens', () => {
  it('answers HEAD with the status and headers of a GET, opening nothing', async () => {
    const s = await start({ limits: { maxConnections: 1 } })
    const head = await fetch(s.url('/board/feed'), { method: 'HEAD', headers: { 'Accept-Encoding': 'gzip' } })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe('text/event-stream')
    expect(head.headers.get('content-encoding')).toBe('gzip')
    expect(s.feeds.counters()).toMatchObject({ connections: 0, hubs: 0, opened: 0, renders: 0 })

    const get = await connect(s)
    expect((await get.next())?.event).toBe('datastar-patch-elements')
    const full = await fetch(s.url('/board/feed'), { method: 'HEAD' })
    expect(full.status).toBe(503)
    expect(full.headers.get('retry-after')).toBe('5')
    const bad = await fetch(s.url('/board/feed?since=x'), { method: 'HEAD' })
    expect(bad.status).toBe(400)
  })

  it('releases a feed whose response was dropped unsent within two keep-alive intervals', async () => {
    const s = await start({ keepAliveMs: 200 })
    const dropped = await Promise.all(Array.from({ length: 50 }, () => fetch(s.url('/board/dropped'))))
    expect(dropped.map((response) => response.status)).toEqual(dropped.map(() => 200))
    expect(s.feeds.counters().connections).toBe(50)
    const live = await connect(s)
    // Two keep-alive intervals (400 ms) when the machine is idle; the bound leaves room for a loaded one.
    await waitUntil(() => s.feeds.counters().connections === 1, 3_000)
    // The feed that was sent stays, and keeps working.
    expect((await live.next())?.event).toBe('datastar-patch-elements')
    const position = await s.addNote('after the sweep')
    expect((await live.next())?.id).toBe(String(position))
  })
})

import { describe, expect, it } from 'bun:test'
import { parseElementsPatch, SseConnection, type SseEvent } from '../../../src/core/testing/sse-client.ts'
import { useFeedServers } from '../../fixtures/feed-server.ts'

const { start, connect, track } = useFeedServers()

const elementsOf = (event: SseEvent | null) => (event ? parseElementsPatch(event).elements : null)

describe('serveFeed', () => {
  it('sends one fat morph of the current view first when the client has no position', async () => {
    const s = await start()
    const position = await s.addNote('first')
    const feed = await connect(s)
    expect(feed.response.headers.get('content-type')).toBe('text/event-stream')
    const event = await feed.next()
    expect(event?.event).toBe('datastar-patch-elements')
    expect(event?.id).toBe(String(position))
    expect(elementsOf(event)).toBe(s.currentView())
  })

  it('streams one patch per relevant change, with increasing ids, and none for unrelated events', async () => {
    const s = await start()
    const feed = await connect(s, '?since=0')
    expect(await feed.next(150)).toBeNull()
    await s.addUnrelated()
    expect(await feed.next(150)).toBeNull()
    const p1 = await s.addNote('one')
    const e1 = await feed.next()
    expect(e1?.id).toBe(String(p1))
    const p2 = await s.addNote('two <b>')
    const e2 = await feed.next()
    expect(e2?.id).toBe(String(p2))
    expect(elementsOf(e2)).toBe(s.currentView())
    expect(elementsOf(e2)).toContain('two &#60;b&#62;')
  })

  it('resumes with Last-Event-ID: one patch to the current state after 100 commands, nothing when current', async () => {
    const s = await start()
    const first = await connect(s)
    const initial = await first.next()
    first.close()
    let head = 0
    for (let i = 0; i < 100; i++) head = await s.addNote(`note ${i}`)

    const behind = await connect(s, '', { 'Last-Event-ID': String(initial?.id) })
    const catchUp = await behind.next()
    expect(catchUp?.id).toBe(String(head))
    expect(elementsOf(catchUp)).toBe(s.currentView())
    expect(await behind.next(200)).toBeNull()
    behind.close()

    const current = await connect(s, '?since=1', { 'Last-Event-ID': String(head) })
    expect(await current.next(300)).toBeNull()
    const next = await s.addNote('after')
    expect((await current.next())?.id).toBe(String(next))
  })

  it('sends nothing on resume when only unrelated events happened since', async () => {
    const s = await start()
    const at = await s.addNote('a')
    await s.addUnrelated()
    await s.addUnrelated()
    const feed = await connect(s, `?since=${at}`)
    expect(await feed.next(300)).toBeNull()
  })

  it('answers 400 for a resume point that is not a position, and writes nothing', async () => {
    const s = await start()
    const response = await fetch(s.url('/board/feed?since=abc'))
    expect(response.status).toBe(400)
    expect(await response.text()).toBe('Cannot resume feed: since "abc" is not a position (a whole number ≥ 0)')
    const header = await fetch(s.url('/board/feed'), { headers: { 'Last-Event-ID': '-4' } })
    expect(header.status).toBe(400)
    expect(s.feeds.counters().connections).toBe(0)
  })

  it('survives 1,000 disconnect/reconnect cycles while commands flow: the last patch is the final view', async () => {
    const s = await start()
    let writing = true
    let written = 0
    const writer = (async () => {
      while (writing) {
        await s.addNote(`n${written++}`)
        await Bun.sleep(1)
      }
    })()
    let lastId = -1
    let view: string | null = null
    let received = 0
    for (let cycle = 0; cycle < 1_000; cycle++) {
      const headers: Record<string, string> = lastId >= 0 ? { 'Last-Event-ID': String(lastId) } : {}
      const feed = await SseConnection.open(s.url('/board/feed'), { headers })
      // Take whatever arrives within a moment, then drop the connection mid-stream.
      const event = await feed.next(cycle % 10 === 0 ? 20 : 2)
      const events = [...(event ? [event] : []), ...feed.drain()]
      feed.close()
      let previous = lastId
      for (const e of events) {
        const id = Number(e.id)
        expect(id).toBeGreaterThan(previous) // strictly increasing within a connection, and across
        previous = id
        view = parseElementsPatch(e).elements
        received++
      }
      lastId = previous
    }
    writing = false
    await writer
    const final = track(
      await SseConnection.open(s.url('/board/feed'), { headers: { 'Last-Event-ID': String(lastId) } }),
    )
    const catchUp = await final.next(500)
    if (catchUp) view = parseElementsPatch(catchUp).elements
    expect(written).toBeGreaterThan(10)
    expect(received).toBeGreaterThan(10)
    expect(view).toBe(s.currentView())
    final.close()
    await Bun.sleep(50)
    expect(s.feeds.counters().connections).toBe(0)
    expect(s.bus.counters().subscribers).toBe(1) // the projection's
  }, 60_000)

  it('leaves zero subscribers after 1,000 connect/disconnect cycles', async () => {
    const s = await start()
    await s.addNote('x')
    for (let i = 0; i < 1_000; i++) {
      const feed = await SseConnection.open(s.url('/board/feed'))
      if (i % 2 === 0) await feed.next(50)
      feed.close()
    }
    for (let i = 0; i < 50 && s.feeds.counters().connections > 0; i++) await Bun.sleep(20)
    expect(s.feeds.counters()).toMatchObject({ connections: 0, hubs: 0, opened: 1_000 })
    expect(s.bus.counters().subscribers).toBe(1) // the projection's own
  }, 30_000)
})

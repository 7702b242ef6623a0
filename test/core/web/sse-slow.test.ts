import { describe, expect, it } from 'bun:test'
import { type Socket, connect as tcpConnect } from 'node:net'
import { useFeedServers, waitUntil } from '../../fixtures/feed-server.ts'

const { start } = useFeedServers()

/**
 * A client that asks for the board's feed and reads at most `bytesPerSecond` on average, in the
 * chunks its socket hands over: after each it stays paused until the time it has waited pays for it.
 */
async function slowReader(port: number, bytesPerSecond: number) {
  const socket: Socket = tcpConnect(port, '127.0.0.1')
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  socket.on('error', () => {})
  socket.write('GET /board/feed?since=0 HTTP/1.1\r\nHost: localhost\r\n\r\n')
  let budget = 0
  let tail = '' // the end of the last chunk, for a marker that two chunks split
  const markers = new Map<string, boolean>()
  socket.on('data', (chunk: Buffer) => {
    const text = tail + chunk.toString('latin1')
    for (const marker of markers.keys()) if (text.includes(marker)) markers.set(marker, true)
    tail = text.slice(-64)
    budget -= chunk.byteLength
    if (budget <= 0) socket.pause()
  })
  const tick = setInterval(() => {
    budget = Math.min(budget + bytesPerSecond / 10, bytesPerSecond)
    if (budget > 0) socket.resume()
  }, 100)
  return {
    /** Watches for `marker` in what this client reads from now on; the function says whether it has come. */
    watchFor: (marker: string) => {
      markers.set(marker, false)
      return () => markers.get(marker) === true
    },
    close: () => {
      clearInterval(tick)
      socket.destroy()
    },
  }
}

describe('a slow feed client', () => {
  it('is kept while it reads faster than the feed writes, and cut off once it falls behind', async () => {
    const s = await start({ limits: { maxBufferedBytes: 256 * 1024 } })
    const port = Number(new URL(s.url('/')).port)
    // The feed writes at most one 64 KiB morph every 20 ms, about 3 MiB/s: one client may read 8 MiB/s,
    // the other 256 KiB/s, so it falls behind by megabytes a second, more than the kernel's buffers hold.
    const keepsUp = await slowReader(port, 8 * 2 ** 20)
    const fallsBehind = await slowReader(port, 256 * 1024)
    await waitUntil(() => s.feeds.counters().connections === 2)
    const title = 't'.repeat(64 * 1024)
    const startedAt = performance.now()
    let cutOffAt = Number.POSITIVE_INFINITY
    // Renames until a second after the first cut-off: the other client has to keep up for that long too.
    for (let i = 0; performance.now() < Math.min(cutOffAt + 1_000, startedAt + 8_000); i++) {
      await s.renameBoard(`${i} ${title}`)
      if (s.feeds.counters().overflows > 0) cutOffAt = Math.min(cutOffAt, performance.now())
      await Bun.sleep(20)
    }
    expect(s.feeds.counters()).toMatchObject({ overflows: 1, connections: 1 })
    // The one still connected is the one that kept up: it gets the next morph at once; the other never does.
    const keepsUpSaw = keepsUp.watchFor('last-morph')
    const fallsBehindSaw = fallsBehind.watchFor('last-morph')
    await s.renameBoard(`last-morph ${title}`)
    await waitUntil(keepsUpSaw, 1_000)
    await Bun.sleep(200)
    expect(fallsBehindSaw()).toBe(false)
    keepsUp.close()
    fallsBehind.close()
  }, 15_000)
})

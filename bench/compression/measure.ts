// What the compression study measures for one scheme: bytes and ratio for one connection, CPU
// per event at a number of connections, memory per idle stream, and a real decoder's verdict.
import { brotliDecompressSync, constants, gunzipSync, zstdDecompressSync } from 'node:zlib'
import type { Scheme } from './schemes.ts'
import type { FeedStream } from './streams.ts'

const concat = (parts: readonly Uint8Array[]) => Buffer.concat(parts)

/** Bytes on the wire for one connection that stays in step for `events` events. */
export async function ratioOf(scheme: Scheme, stream: FeedStream, events: number) {
  let compressed = 0
  let first = 0
  let raw = 0
  const fanout = scheme.open(1, (_c, bytes) => {
    compressed += bytes.byteLength
  })
  for (let i = 1; i <= events; i++) {
    const event = stream.event(i)
    raw += event.byteLength
    await fanout.publish(event)
    if (i === 1) first = compressed
  }
  fanout.close()
  return {
    rawPerEvent: raw / events,
    steadyBytesPerEvent: (compressed - first) / (events - 1),
    ratio: raw / compressed,
  }
}

/** CPU (user + system, every thread: zlib runs off the JavaScript thread) per event, µs. */
export async function cpuPerEvent(scheme: Scheme, stream: FeedStream, connections: number, events: number) {
  const fanout = scheme.open(connections, () => {})
  await fanout.publish(stream.event(1)) // the first render is a join's cost, not an event's
  const prepared = Array.from({ length: events }, (_, i) => stream.event(i + 2))
  const before = process.cpuUsage()
  for (const event of prepared) await fanout.publish(event)
  const used = process.cpuUsage(before)
  fanout.close()
  return (used.user + used.system) / events
}

/**
 * RSS and JS heap per stream with `connections` streams open after `events` events each, minus
 * the same harness with no compression; run in a fresh process so freed memory is not reused.
 */
export async function memoryPerStream(scheme: Scheme | null, stream: FeedStream, connections: number, events = 3) {
  Bun.gc(true)
  const before = process.memoryUsage()
  const fanout = scheme?.open(connections, () => {})
  for (let i = 1; i <= events; i++) await fanout?.publish(stream.event(i))
  await Bun.sleep(200)
  Bun.gc(true)
  const after = process.memoryUsage()
  const result = { rss: (after.rss - before.rss) / connections, heap: (after.heapUsed - before.heapUsed) / connections }
  fanout?.close()
  return result
}

function decode(encoding: Scheme['encoding'], bytes: Buffer): Buffer {
  if (encoding === 'br') return brotliDecompressSync(bytes, { finishFlush: constants.BROTLI_OPERATION_FLUSH })
  if (encoding === 'zstd') return zstdDecompressSync(bytes, { finishFlush: constants.ZSTD_e_flush })
  return gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }) // the stream never ends: no trailer
}

/**
 * Two connections from the start, a keep-alive to the second after event 3, a third that joins
 * after event 4; every connection's concatenated bytes, decoded by zlib's own decoder, must be
 * exactly the plain events (and comments) it was sent.
 */
export async function decodesExactly(scheme: Scheme, stream: FeedStream): Promise<boolean> {
  const wire: Uint8Array[][] = [[], [], []]
  const plain: Uint8Array[][] = [[], [], []]
  const fanout = scheme.open(2, (c, bytes) => wire[c]?.push(Uint8Array.from(bytes)))
  const members = [0, 1]
  for (let i = 1; i <= 8; i++) {
    const event = stream.event(i)
    await fanout.publish(event)
    for (const c of members) plain[c]?.push(event)
    if (i === 3) for (const c of await fanout.keepAlive(1)) plain[c]?.push(new TextEncoder().encode(': keep-alive\n\n'))
    if (i === 4) members.push(fanout.join())
  }
  fanout.close()
  return wire.every((parts, c) => decode(scheme.encoding, concat(parts)).equals(concat(plain[c] ?? [])))
}

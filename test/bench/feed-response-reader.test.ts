// The browser-shaped fan-out client's decoding: a real server sends an SSE body chunked and in
// each Content-Encoding a browser accepts, flushed per event as a feed does, over a real socket,
// in reads of whatever size the kernel gives; the reader must hand back exactly the plain text.
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { constants, createBrotliCompress, createDeflate, createGzip, createZstdCompress } from 'node:zlib'
import { FeedResponseReader, feedRequest } from '../../bench/fanout/http-response.ts'
import { pickClients, startClients } from '../../bench/fanout/processes.ts'
import { loadReceipts } from '../../bench/fanout/receipts.ts'

const EVENTS = Array.from(
  { length: 30 },
  (_, i) => `event: datastar-patch-elements\nid: ${i + 1}\ndata: elements <p id="n">${'x'.repeat(i * 40)}${i}</p>\n\n`,
)
const PLAIN = EVENTS.join('')

const compressors = {
  br: () => createBrotliCompress({ flush: constants.BROTLI_OPERATION_FLUSH }),
  gzip: () => createGzip({ flush: constants.Z_SYNC_FLUSH }),
  deflate: () => createDeflate({ flush: constants.Z_SYNC_FLUSH }),
  zstd: () => createZstdCompress({ flush: constants.ZSTD_e_flush }),
} as const

const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch(req) {
    const encoding = new URL(req.url).searchParams.get('encoding') as keyof typeof compressors | null
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        const compressor = encoding ? compressors[encoding]() : null
        compressor?.on('data', (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk)))
        for (const event of EVENTS) {
          const bytes = new TextEncoder().encode(event)
          if (compressor) await new Promise<void>((resolve) => compressor.write(bytes, () => resolve()))
          else controller.enqueue(bytes)
          // After the first event a pause, so a client's first read holds that one alone.
          await Bun.sleep(event === EVENTS[0] ? 100 : 1)
        }
        await Bun.sleep(20)
        controller.close()
      },
    })
    const headers: Record<string, string> = { 'Content-Type': 'text/event-stream' }
    if (encoding) headers['Content-Encoding'] = encoding
    return new Response(body, { headers })
  },
})
const port = Number(server.port)
const dir = mkdtempSync(join(tmpdir(), 'ironstar-feed-reader-'))
afterAll(() => {
  server.stop(true)
  rmSync(dir, { recursive: true, force: true })
})

async function readFeed(encoding: string) {
  let text = ''
  const times: number[] = []
  const reader = new FeedResponseReader((decoded, at) => {
    text += decoded
    times.push(at)
  })
  const path = encoding === 'identity' ? '/feed' : `/feed?encoding=${encoding}`
  const socket = await Bun.connect({
    hostname: '127.0.0.1',
    port,
    socket: {
      open: (s) => {
        s.write(feedRequest(path, `127.0.0.1:${port}`, 'sid=abc'))
      },
      data: (_s, chunk) => reader.push(chunk, performance.now()),
    },
  })
  // The response stays open (keep-alive): wait for the whole text, or give up after 3 s.
  for (let waited = 0; text.length < PLAIN.length && waited < 3_000; waited += 10) await Bun.sleep(10)
  socket.end()
  reader.close()
  return { text, times, reader }
}

test.each(['br', 'gzip', 'deflate', 'zstd', 'identity'])(
  'decodes a chunked %s feed to exactly the plain events',
  async (encoding) => {
    const { text, times, reader } = await readFeed(encoding)
    expect(reader.status).toBe(200)
    expect(reader.encoding).toBe(encoding === 'identity' ? '' : encoding)
    expect(text).toBe(PLAIN)
    // Arrival times are handed on in order: a later read never carries an earlier time.
    expect(times).toEqual([...times].sort((a, b) => a - b))
  },
)

const native = await pickClients()
test.skipIf(!native.native).each(['br', 'gzip', 'deflate', 'identity'])(
  'the C receiver, as a browser, decodes a %s feed and times every event',
  async (encoding) => {
    const cookies = join(dir, 'cookies')
    await Bun.write(cookies, 'sid=a\nsid=b\nsid=c')
    const clients = startClients(native.script)
    try {
      const path = encoding === 'identity' ? '/feed' : `/feed?encoding=${encoding}`
      const opened = await clients.ask<{ connected: number; encodings: Record<string, number> }>(
        `open 3 ${port} ${path} ${cookies}`,
      )
      expect(opened).toEqual({ connected: 3, encodings: { [encoding]: 3 } })
      for (let waited = 0; waited < 1_000; waited += 50) await Bun.sleep(50) // the 30 events, 1 ms apart
      const file = join(dir, `${encoding}.receipts`)
      await clients.ask(`save ${file}`)
      const rows = await loadReceipts(file)
      // The first event sets each client's start; every later one must have reached all three.
      for (let position = 2; position <= EVENTS.length; position++) {
        const arrived = [...(rows.get(position)?.arrived ?? [])]
        expect(arrived).toHaveLength(3)
        expect(arrived.every((at) => at > 0)).toBe(true)
      }
    } finally {
      clients.process.kill()
      await clients.process.exited
    }
  },
)

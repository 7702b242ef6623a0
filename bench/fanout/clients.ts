// The fan-out clients in JavaScript: thousands of raw TCP connections reading SSE, one process,
// driven by lines on stdin (`open <n> <port> <path> [cookies]`, `save <file>`, `reset`, `count`,
// `close`), answering one JSON line on stdout each. They only look for `id: <n>` lines (events
// arrive whole, but a read may split one, hence the tail). The bench prefers receiver.c, which
// speaks the same protocol; these run where it cannot (not Linux, no C library headers).
// Given a file of Cookie headers (one per client, in order), `open` behaves like browsers: each
// client sends its own session and a browser's Accept-Encoding, and decodes what it is sent.
import type { Socket } from 'bun'
import { FeedResponseReader, feedRequest } from './http-response.ts'

const now = () => performance.timeOrigin + performance.now()

interface Client {
  socket: Socket<Client> | null
  lastId: number
  tail: string
  connected: boolean
  /** Browser mode: undoes the transfer and content coding before the scan. */
  reader: FeedResponseReader | null
}

const clients: Client[] = []
let receipts = new Map<number, Float64Array<ArrayBuffer>>()
let connectedCount = 0
let bytes = 0
let events = 0
let onConnected: (() => void) | null = null

function received(client: Client, id: number, at: number, index: number) {
  events++
  if (client.lastId < 0) {
    client.lastId = id
    return
  }
  for (let p = client.lastId + 1; p <= id; p++) {
    let row = receipts.get(p)
    if (!row) {
      row = new Float64Array(clients.length)
      receipts.set(p, row)
    }
    if (index < row.length) row[index] = at
  }
  if (id > client.lastId) client.lastId = id
}

const ID = /(?:^|\n)id: (\d+)\n/g

/** Finds the newest new event id in `text` (plus the kept tail) and times it at `at`. */
function scan(c: Client, text: string, at: number, index: number) {
  const joined = c.tail + text
  let last = -1
  for (const match of joined.matchAll(ID)) {
    const id = Number(match[1])
    // Count each event once: the tail kept from the last read may hold an id already seen.
    if (id > c.lastId && id > last) {
      if (last >= 0) events++
      last = id
    }
  }
  if (last >= 0) received(c, last, at, index)
  c.tail = joined.slice(-24)
}

function connected(c: Client, ok: boolean) {
  if (c.connected || !ok) return
  c.connected = true
  connectedCount++
  onConnected?.()
}

async function open(n: number, port: number, path: string, cookies: readonly string[] | null) {
  const start = clients.length
  const batch = 250
  for (let from = start; from < start + n; from += batch) {
    const target = Math.min(start + n, from + batch)
    const wait = new Promise<void>((resolve) => {
      onConnected = () => {
        if (connectedCount >= target) resolve()
      }
    })
    for (let i = from; i < target; i++) {
      const index = i
      const client: Client = { socket: null, lastId: -1, tail: '', connected: false, reader: null }
      const cookie = cookies ? (cookies[index] ?? null) : null
      if (cookies)
        client.reader = new FeedResponseReader((text, at) => {
          connected(client, client.reader?.status === 200)
          scan(client, text, at, index)
        })
      clients.push(client)
      client.socket = await Bun.connect<Client>({
        hostname: '127.0.0.1',
        port,
        data: client,
        socket: {
          open(socket) {
            socket.write(
              cookies
                ? feedRequest(path, `127.0.0.1:${port}`, cookie)
                : `GET ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n`,
            )
          },
          data(socket, chunk) {
            const at = now()
            bytes += chunk.byteLength
            const c = socket.data
            if (c.reader) return c.reader.push(chunk, at)
            const text = chunk.toString('latin1')
            connected(c, (c.tail + text).includes(' 200 '))
            scan(c, text, at, index)
          },
          close(socket) {
            if (socket.data.connected) connectedCount--
            socket.data.connected = false
            socket.data.reader?.close()
          },
          error() {},
        },
      })
    }
    await Promise.race([wait, Bun.sleep(20_000)])
  }
}

/** Saves the receipts in receipts.ts's format; a JavaScript client only knows when it read, so both times are that. */
async function save(path: string) {
  const parts: Float64Array<ArrayBuffer>[] = []
  for (const [position, row] of receipts) parts.push(Float64Array.of(position, row.length), row, row)
  await Bun.write(path, new Blob(parts))
  return { events, saved: true }
}

/** How many browser-mode clients were answered in each Content-Encoding. */
function encodings(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const { reader } of clients) {
    const name = reader ? reader.encoding || 'identity' : null
    if (name) counts[name] = (counts[name] ?? 0) + 1
  }
  return counts
}

const reply = (value: unknown) => console.log(JSON.stringify(value))

for await (const line of console) {
  const [command, ...args] = line.trim().split(' ')
  if (command === 'open') {
    const cookies = args[3] ? (await Bun.file(args[3]).text()).split('\n') : null
    await open(Number(args[0]), Number(args[1]), args[2] ?? '/feed', cookies)
    reply({ connected: connectedCount, encodings: encodings() })
  } else if (command === 'reset') {
    receipts = new Map()
    events = 0
    reply({ ok: true })
  } else if (command === 'save') {
    reply(await save(args[0] ?? ''))
  } else if (command === 'count') {
    reply({ connected: connectedCount, bytes })
  } else if (command === 'close') {
    for (const client of clients) client.socket?.end()
    await Bun.sleep(200)
    reply({ connected: connectedCount })
    process.exit(0)
  }
}

// The fan-out clients in JavaScript: thousands of raw TCP connections reading SSE, one process,
// driven by lines on stdin (`open <n> <port> <path>`, `save <file>`, `reset`, `count`, `close`),
// answering one JSON line on stdout each. They only look for `id: <n>` lines (events arrive
// whole, but a read may split one, hence the tail). The bench prefers receiver.c, which speaks
// the same protocol; these run where it cannot (not Linux, no C library headers).
import type { Socket } from 'bun'

const now = () => performance.timeOrigin + performance.now()

interface Client {
  socket: Socket<Client> | null
  lastId: number
  tail: string
  connected: boolean
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

async function open(n: number, port: number, path: string) {
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
      const client: Client = { socket: null, lastId: -1, tail: '', connected: false }
      clients.push(client)
      const index = i
      client.socket = await Bun.connect<Client>({
        hostname: '127.0.0.1',
        port,
        data: client,
        socket: {
          open(socket) {
            socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n`)
          },
          data(socket, chunk) {
            const at = now()
            bytes += chunk.byteLength
            const c = socket.data
            const text = c.tail + chunk.toString('latin1')
            if (!c.connected && text.includes(' 200 ')) {
              c.connected = true
              connectedCount++
              onConnected?.()
            }
            let last = -1
            for (const match of text.matchAll(ID)) {
              const id = Number(match[1])
              // Count each event once: the tail kept from the last read may hold an id already seen.
              if (id > c.lastId && id > last) {
                if (last >= 0) events++
                last = id
              }
            }
            if (last >= 0) received(c, last, at, index)
            c.tail = text.slice(-24)
          },
          close(socket) {
            if (socket.data.connected) connectedCount--
            socket.data.connected = false
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

const reply = (value: unknown) => console.log(JSON.stringify(value))

for await (const line of console) {
  const [command, ...args] = line.trim().split(' ')
  if (command === 'open') {
    await open(Number(args[0]), Number(args[1]), args[2] ?? '/feed')
    reply({ connected: connectedCount })
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

import { describe, expect, it } from 'bun:test'
import { readFileSync } from 'node:fs'
import { type Socket, connect as tcpConnect } from 'node:net'
import { useFeedServers, waitUntil } from '../../fixtures/feed-server.ts'

const { start, connect } = useFeedServers()

interface KernelSocket {
  /** The kernel's TCP state: 01 is ESTABLISHED, 04 FIN_WAIT1. */
  readonly state: string
  /** Bytes sent and not yet acknowledged by the peer. */
  readonly queued: number
  /** False once no process holds it (an orphan the kernel finishes alone): its fd is free. */
  readonly hasFd: boolean
}

/** The server's end of the connection from `clientPort`, as the kernel's table shows it (null once gone). */
function serverEndOf(serverPort: number, clientPort: number): KernelSocket | null {
  const lines = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((path) => readFileSync(path, 'utf8').split('\n').slice(1))
  const portOf = (address = '') => Number.parseInt(address.split(':').at(-1) ?? '', 16)
  for (const line of lines) {
    const [, local, remote, state = '', queues = '', , , , , inode] = line.trim().split(/\s+/)
    if (portOf(local) !== serverPort || portOf(remote) !== clientPort) continue
    return { state, queued: Number.parseInt(queues.split(':')[0] ?? '0', 16), hasFd: inode !== '0' }
  }
  return null
}

/** A client that asks for the board's feed and never reads a byte of it. */
async function stuckClient(port: number): Promise<Socket> {
  const socket = tcpConnect(port, '127.0.0.1')
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  socket.on('error', () => {}) // a reset, if the server sends one
  socket.write('GET /board/feed?since=0 HTTP/1.1\r\nHost: localhost\r\n\r\n')
  socket.pause()
  return socket
}

describe('a client cut off for not reading', () => {
  it('has its socket closed by the server, and counts against the limits until then', async () => {
    const s = await start({ limits: { maxBufferedBytes: 512 * 1024, maxConnections: 2 } })
    const port = Number(new URL(s.url('/')).port)
    const stuck = await stuckClient(port)
    await waitUntil(() => s.feeds.counters().connections === 1)
    // Notes of 4 KiB, each re-rendering the whole board: the kernel's buffers fill, then the queue (the
    // board stays smaller than the bound, so a healthy client's first morph fits).
    const note = 'y'.repeat(4 * 1024)
    for (let i = 0; i < 400 && s.feeds.counters().overflows === 0; i++) await s.addNote(`${i} ${note}`)
    expect(s.feeds.counters()).toMatchObject({ overflows: 1, connections: 0, held: 1 })
    const cutOff = performance.now()
    const before = serverEndOf(port, stuck.localPort ?? 0)
    expect(before).toMatchObject({ state: '01', hasFd: true })
    expect(before?.queued).toBeGreaterThan(512 * 1024)

    // Its socket still counts: one more feed fits under maxConnections, the next does not.
    const healthy = await connect(s)
    expect((await healthy.next())?.event).toBe('datastar-patch-elements')
    expect((await fetch(s.url('/board/feed'))).status).toBe(503)

    // Bun's idle sweep (every 4 s) closes it and says so: the fd is freed, though the peer keeps its end.
    await waitUntil(() => s.feeds.counters().held === 0, 8_000)
    expect(serverEndOf(port, stuck.localPort ?? 0)?.hasFd ?? false).toBe(false)
    expect(performance.now() - cutOff).toBeLessThan(8_000)
    expect(stuck.destroyed).toBe(false)
    const next = await fetch(s.url('/board/feed'))
    expect(next.status).toBe(200)
    await next.body?.cancel()
    stuck.destroy()
  }, 20_000)
})

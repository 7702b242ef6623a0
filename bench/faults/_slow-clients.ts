// The misbehaving feed clients of the stuck-feeds harness, and what the server's end of their sockets
// looks like in the kernel's table. A child process holds them, so their reading never competes with
// the healthy clients' or the server's event loop.
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'

/** What a child holding feed clients prints: its ports once all are open, then a tally every second. */
export type ChildReport = { ports: number[] } | { readBytes: number; ended: number }

/**
 * The child: `count` connections that ask for the feed and read `bps` bytes a second each, or never
 * (`bps` 0). Bun's socket hands over what it has taken from the kernel in chunks of up to tens of KiB,
 * so a slow reader takes a chunk, then stays paused until its budget has paid for it: its average is
 * `bps`, in gulps, and the kernel's buffers fill between them as a browser's would on a slow link.
 */
export async function holdFeedClients(port: number, count: number, bps: number): Promise<void> {
  const sockets: Socket[] = []
  let readBytes = 0
  let ended = 0
  for (let i = 0; i < count; i++) {
    const socket = connect(port, '127.0.0.1')
    socket.on('error', () => {})
    socket.once('close', () => ended++)
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.write('GET /feed HTTP/1.1\r\nHost: localhost\r\n\r\n')
    socket.pause()
    sockets.push(socket)
  }
  console.log(JSON.stringify({ ports: sockets.map((socket) => socket.localPort) }))
  if (bps > 0) {
    const tick = 100
    const readers = sockets.map((socket) => ({ socket, budget: 0 }))
    for (const reader of readers) {
      reader.socket.on('data', (chunk: Buffer) => {
        readBytes += chunk.byteLength
        reader.budget -= chunk.byteLength
        if (reader.budget <= 0) reader.socket.pause()
      })
    }
    // A budget earns bps a second, and at most one second's worth while nothing waits to be read.
    setInterval(() => {
      for (const reader of readers) {
        reader.budget = Math.min(reader.budget + (bps * tick) / 1000, bps)
        if (reader.budget > 0) reader.socket.resume()
      }
    }, tick)
  }
  setInterval(() => console.log(JSON.stringify({ readBytes, ended })), 1_000) // held until killed
}

/** Starts a child of `script` holding `count` feed clients; resolves once they are open, with their ports. */
export async function startFeedClients(script: string, port: number, count: number, bps: number) {
  const child = Bun.spawn(
    ['bun', script, '--clients-of', String(port), '--count', String(count), '--bps', String(bps)],
    { stdout: 'pipe', stderr: 'inherit' },
  )
  let last = { readBytes: 0, ended: 0 }
  let opened: (ports: number[]) => void = () => {}
  const ports = new Promise<number[]>((resolve) => {
    opened = resolve
  })
  const reading = (async () => {
    let pending = ''
    const decoder = new TextDecoder()
    for await (const bytes of child.stdout as ReadableStream<Uint8Array>) {
      const lines = (pending + decoder.decode(bytes, { stream: true })).split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        const report = JSON.parse(line) as ChildReport
        if ('ports' in report) opened(report.ports)
        else last = report
      }
    }
  })()
  void reading.finally(() => opened([])) // a child that died before opening them
  return {
    process: child,
    ports: new Set(await ports),
    /** Bytes all of them have read, and how many saw their connection end, as of the child's last tally. */
    tally: () => last,
    stop: async () => {
      child.kill()
      await Promise.all([child.exited, reading])
    },
  }
}

/** The server's end of one group of client sockets: how many it holds an fd for, and the bytes queued on them. */
export interface GroupSockets {
  readonly held: number
  readonly queuedMiB: number
}

/**
 * The server's ends of its connections that a file descriptor holds (an orphan's inode is 0): all of
 * them, and for each named group of client ports, those it holds and the bytes the kernel queues on them.
 */
export function serverSockets<G extends string>(port: number, groups: Record<G, ReadonlySet<number>>) {
  const lines = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((path) => readFileSync(path, 'utf8').split('\n').slice(1))
  const portOf = (address = '') => Number.parseInt(address.split(':').at(-1) ?? '', 16)
  const names = Object.keys(groups) as G[]
  const tally = Object.fromEntries(names.map((name) => [name, { held: 0, queued: 0 }])) as Record<
    G,
    { held: number; queued: number }
  >
  let sockets = 0
  for (const line of lines) {
    const [, local, remote, state, queues = '', , , , , inode] = line.trim().split(/\s+/)
    if (portOf(local) !== port || state === '0A') continue
    const group = names.find((name) => groups[name].has(portOf(remote)))
    if (group) tally[group].queued += Number.parseInt(queues.split(':')[0] ?? '0', 16)
    if (inode === '0') continue
    sockets++
    if (group) tally[group].held++
  }
  const byGroup = Object.fromEntries(
    names.map((name) => [name, { held: tally[name].held, queuedMiB: Math.round(tally[name].queued / 2 ** 20) }]),
  ) as Record<G, GroupSockets>
  return { sockets, byGroup }
}

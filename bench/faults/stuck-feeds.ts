// Stuck and slow feeds: feeds that never read while events flow, beside healthy ones. One run holds
// a phase without them (the baseline) and one with them; it prints the healthy clients' delivery
// latency in each, and the server's RSS, fds and socket count every second. The stuck clients are a
// separate process (this file with --stuck-clients), the healthy ones the fan-out bench's clients.
// Flags: --stuck 100 --healthy 50 --seconds 10 --rate 200 --note 12000 (bytes per event). The full
// shape is --stuck 1000: about 4 MB of kernel buffer per stuck socket until it is cut off and closed.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pickClients, startClients, startFanoutServer } from '../fanout/processes.ts'
import { latencies, loadReceipts } from '../fanout/receipts.ts'
import { printTable } from '../table.ts'

const { values } = parseArgs({
  options: {
    stuck: { type: 'string', default: '100' },
    healthy: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '200' },
    note: { type: 'string', default: '12000' },
    'stuck-clients': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  allowPositionals: true,
})

/** The child: `count` connections that ask for the feed and never read; prints one line once open. */
async function holdStuckClients(port: number, count: number): Promise<void> {
  const sockets: Socket[] = []
  for (let i = 0; i < count; i++) {
    const socket = connect(port, '127.0.0.1')
    socket.on('error', () => {})
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.write('GET /feed HTTP/1.1\r\nHost: localhost\r\n\r\n')
    socket.pause()
    sockets.push(socket)
  }
  console.log(JSON.stringify({ ports: sockets.map((socket) => socket.localPort) }))
  setInterval(() => {}, 60_000) // held until killed
}

/**
 * The server's ends of its connections that a file descriptor holds (an orphan's inode is 0): all of
 * them, those of the stuck clients, and the bytes queued in the kernel on those.
 */
function serverSockets(port: number, stuckPorts: ReadonlySet<number>) {
  const lines = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((path) => readFileSync(path, 'utf8').split('\n').slice(1))
  const portOf = (address = '') => Number.parseInt(address.split(':').at(-1) ?? '', 16)
  let sockets = 0
  let stuck = 0
  let stuckQueuedMiB = 0
  for (const line of lines) {
    const [, local, remote, state, queues = '', , , , , inode] = line.trim().split(/\s+/)
    if (portOf(local) !== port || state === '0A') continue
    const isStuck = stuckPorts.has(portOf(remote))
    if (isStuck) stuckQueuedMiB += Number.parseInt(queues.split(':')[0] ?? '0', 16) / 2 ** 20
    if (inode === '0') continue
    sockets++
    if (isStuck) stuck++
  }
  return { sockets, stuckSockets: stuck, stuckKernelMiB: Math.round(stuckQueuedMiB) }
}

function sample(pid: number, port: number, stuckPorts: ReadonlySet<number>, startedAt: number) {
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
  return {
    t: Math.round((performance.now() - startedAt) / 1000),
    rssMiB: Math.round(rss),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    ...serverSockets(port, stuckPorts),
  }
}

async function main(): Promise<void> {
  const stuck = Number(values.stuck)
  const healthy = Number(values.healthy)
  const seconds = Number(values.seconds)
  const rate = Number(values.rate)
  const note = 'n'.repeat(Number(values.note))
  const scratch = mkdtempSync(join(tmpdir(), 'ironstar-stuck-feeds-'))
  const { process: server, port } = await startFanoutServer('ironstar')
  const clients = startClients((await pickClients(true)).script)
  const base = `http://127.0.0.1:${port}`
  const startedAt = performance.now()
  const samples: ReturnType<typeof sample>[] = []
  const stuckPorts = new Set<number>()
  const sampler = setInterval(() => samples.push(sample(server.pid, port, stuckPorts, startedAt)), 1_000)
  let stuckProcess: ReturnType<typeof Bun.spawn> | null = null

  /** RATE commands a second for SECONDS; the healthy clients' latency from each acknowledgement. */
  const phase = async (label: string) => {
    await clients.ask('reset')
    const acks: Record<number, number> = {}
    const pending: Promise<void>[] = []
    const started = performance.timeOrigin + performance.now()
    for (let i = 0; i < rate * seconds; i++) {
      const wait = started + (i * 1000) / rate - (performance.timeOrigin + performance.now())
      if (wait > 0) await Bun.sleep(wait)
      const sent = fetch(`${base}/cmd?note=${i}-${note}`, { method: 'POST' })
      pending.push(
        sent.then(async (response) => {
          const { position } = (await response.json()) as { position: number }
          acks[position] = performance.timeOrigin + performance.now()
        }),
      )
    }
    await Promise.all(pending)
    await Bun.sleep(1_000)
    const file = join(scratch, `${label.replaceAll(' ', '-')}.receipts`)
    await clients.ask(`save ${file}`)
    const measured = latencies(await loadReceipts(file), acks, healthy, 'arrived')
    return { phase: label, events: rate * seconds, missing: measured.missing, ...pick(measured) }
  }
  const pick = (m: ReturnType<typeof latencies>) => ({
    p50Ms: m.deliveryP50,
    p99Ms: m.deliveryP99,
    everyClientP99Ms: m.everyClientP99,
  })

  try {
    await clients.ask(`open ${healthy} ${port} /feed`)
    await phase('warm-up')
    const baseline = await phase('without stuck feeds')
    stuckProcess = Bun.spawn(['bun', import.meta.path, '--stuck-clients', String(port), '--stuck', String(stuck)], {
      stdout: 'pipe',
      stderr: 'inherit',
    })
    const { value } = await (stuckProcess.stdout as ReadableStream<Uint8Array>).getReader().read()
    for (const stuckPort of JSON.parse(new TextDecoder().decode(value)).ports as number[]) stuckPorts.add(stuckPort)
    const withStuck = await phase(`with ${stuck} stuck feeds`)
    const stats = (await (await fetch(`${base}/stats`)).json()) as { connections: number }
    await Bun.sleep(6_000) // one idle sweep of Bun's more than the cut-off needs
    clearInterval(sampler)
    samples.push(sample(server.pid, port, stuckPorts, startedAt))
    console.log(
      `${stuck} stuck, ${healthy} healthy feeds, ${rate} events/s of ${note.length} B, ${seconds} s a phase\n`,
    )
    printTable([baseline, withStuck])
    const ratio = withStuck.p99Ms / baseline.p99Ms
    console.log(`Healthy p99 with stuck feeds: ${ratio.toFixed(2)}× the baseline (target ≤ 2×).`)
    console.log(`Feed connections open at the end of the stuck phase: ${stats.connections}.\n`)
    printTable(samples)
  } finally {
    clearInterval(sampler)
    stuckProcess?.kill()
    clients.process.kill()
    server.kill('SIGTERM')
    await Promise.all([stuckProcess?.exited, clients.process.exited, server.exited])
    rmSync(scratch, { recursive: true, force: true })
  }
}

if (values.help) {
  console.log('bun bench/faults/stuck-feeds.ts [--stuck 100] [--healthy 50] [--seconds 10] [--rate 200] [--note 12000]')
} else if (values['stuck-clients']) {
  await holdStuckClients(Number(values['stuck-clients']), Number(values.stuck))
} else {
  await main()
}

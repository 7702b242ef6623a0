// Stuck and slow feeds: feeds that never read, or read slowly, while events flow beside healthy ones.
// One run holds a phase without them (the baseline) and one with them; it prints the healthy clients'
// delivery latency in each, and every second the server's RSS, fds and sockets, and the bytes the
// kernel queues towards each kind. The stuck and the slow clients are child processes (this file with
// --clients-of), the healthy ones the fan-out bench's clients.
// Flags: --stuck 100 --slow 0 --slow-bps 2048 --healthy 50 --seconds 10 --rate 200 --note 12000 (bytes
// per event). The full shape is --stuck 1000: about 4 MB of kernel buffer per stuck socket until it is
// cut off and closed. --stuck 0 --slow 0 runs both phases without them (how much phases differ alone).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pickClients, startClients, startFanoutServer } from '../fanout/processes.ts'
import { latencies, loadReceipts } from '../fanout/receipts.ts'
import { printTable } from '../table.ts'
import { holdFeedClients, serverSockets, startFeedClients } from './_slow-clients.ts'

const { values } = parseArgs({
  options: {
    stuck: { type: 'string', default: '100' },
    slow: { type: 'string', default: '0' },
    'slow-bps': { type: 'string', default: '2048' },
    healthy: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '200' },
    note: { type: 'string', default: '12000' },
    'clients-of': { type: 'string' },
    count: { type: 'string' },
    bps: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  allowPositionals: true,
})

type Groups = { stuck: Set<number>; slow: Set<number> }

function sample(pid: number, port: number, groups: Groups, startedAt: number) {
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
  const { sockets, byGroup } = serverSockets(port, groups)
  return {
    t: Math.round((performance.now() - startedAt) / 1000),
    rssMiB: Math.round(rss),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    sockets,
    stuckSockets: byGroup.stuck.held,
    stuckKernelMiB: byGroup.stuck.queuedMiB,
    slowSockets: byGroup.slow.held,
    slowKernelMiB: byGroup.slow.queuedMiB,
  }
}

async function main(): Promise<void> {
  const stuck = Number(values.stuck)
  const slow = Number(values.slow)
  const slowBps = Number(values['slow-bps'])
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
  const groups: Groups = { stuck: new Set(), slow: new Set() }
  const sampler = setInterval(() => samples.push(sample(server.pid, port, groups, startedAt)), 1_000)
  const children: Awaited<ReturnType<typeof startFeedClients>>[] = []
  const overflows = async () => ((await (await fetch(`${base}/stats`)).json()) as { overflows: number }).overflows

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
    const baseline = await phase('without stuck or slow feeds')
    const overflowsBefore = await overflows()
    for (const [group, count, bps] of [
      ['stuck', stuck, 0],
      ['slow', slow, slowBps],
    ] as const) {
      if (count === 0) continue
      const child = await startFeedClients(import.meta.path, port, count, bps)
      children.push(child)
      for (const clientPort of child.ports) groups[group].add(clientPort)
    }
    const slowOpenedAt = performance.now()
    const withThem = await phase(stuck + slow > 0 ? `with ${stuck} stuck, ${slow} slow feeds` : 'again without them')
    const slowRead = {
      bytes: children.at(-1)?.tally().readBytes ?? 0,
      seconds: (performance.now() - slowOpenedAt) / 1000,
    }
    const { connections } = (await (await fetch(`${base}/stats`)).json()) as { connections: number }
    await Bun.sleep(6_000) // one idle sweep of Bun's more than the cut-off needs
    clearInterval(sampler)
    const last = sample(server.pid, port, groups, startedAt)
    samples.push(last)
    console.log(
      `${stuck} stuck, ${slow} slow (${slowBps} B/s), ${healthy} healthy feeds, ${rate} events/s of ${note.length} B, ${seconds} s a phase\n`,
    )
    printTable([baseline, withThem])
    const ratio = withThem.p99Ms / baseline.p99Ms
    console.log(`Healthy p99 in the second phase: ${ratio.toFixed(2)}× the baseline (target ≤ 2×).`)
    console.log(`Feed connections open at the end of the second phase: ${connections}.`)
    console.log(`Feeds cut off for not reading (server's count): ${(await overflows()) - overflowsBefore}.`)
    if (slow > 0) {
      const perClient = slowRead.bytes / slow / slowRead.seconds
      console.log(
        `Slow feeds at the end: ${last.slowSockets} still held by the server, ${slow - last.slowSockets} cut off and closed; ` +
          `they read ${Math.round(perClient)} B/s each on average in the phase.`,
      )
    }
    console.log('')
    printTable(samples)
  } finally {
    clearInterval(sampler)
    await Promise.all(children.map((child) => child.stop()))
    clients.process.kill()
    server.kill('SIGTERM')
    await Promise.all([clients.process.exited, server.exited])
    rmSync(scratch, { recursive: true, force: true })
  }
}

if (values.help) {
  console.log(
    'bun bench/faults/stuck-feeds.ts [--stuck 100] [--slow 0] [--slow-bps 2048] [--healthy 50] [--seconds 10] [--rate 200] [--note 12000]',
  )
} else if (values['clients-of']) {
  await holdFeedClients(Number(values['clients-of']), Number(values.count), Number(values.bps))
} else {
  await main()
}

// Scale-out read path in the real shape: Ironstar processes (`src/main.ts serve`) on one
// PostgreSQL database, one node and three, beside one node on SQLite (the baseline), in the same
// run. Every node gets its own browser-shaped clients (each its own session, watching
// /counter/feed); commands increment the shared counter at a steady rate, round robin over the
// nodes. Timed from each command's acknowledgement until every client on every node has it.
// Flags: --clients 1000 (per node), --rate 50, --seconds 10, --js (the JavaScript clients even
// where the C receiver builds). The PostgreSQL rows need DATABASE_URL (postgres://…): the bench
// creates a database beside the one it names for each cluster and drops it afterwards.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { SQL } from 'bun'
import { type BenchServer, incrementCounter, startApp, usage, visitors } from './fanout/app-servers.ts'
import { type ClientsProcess, pickClients, startClients } from './fanout/processes.ts'
import { latencies, loadReceipts } from './fanout/receipts.ts'
import { printTable } from './table.ts'

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    js: { type: 'boolean', default: false },
  },
})
const CLIENTS = Number(values.clients)
const RATE = Number(values.rate)
const SECONDS = Number(values.seconds)
const TREE = resolve(import.meta.dir, '..')
const CLIENT = await pickClients(values.js)
const scratch = mkdtempSync(join(tmpdir(), 'ironstar-scale-feeds-'))
const now = () => performance.timeOrigin + performance.now()
const loadAverage = async () => (await Bun.file('/proc/loadavg').text()).split(' ').slice(0, 3).join(' ')

/** The global position `node`'s counter page was rendered at. */
async function positionOf(node: BenchServer): Promise<number> {
  const page = await (await fetch(`${node.base}/counter`)).text()
  return Number(/since=(\d+)/.exec(page)?.[1] ?? 0)
}

/** Opens CLIENTS browser-shaped feeds on every node, all in one client process; the visitors' cookies per node. */
async function openFeeds(nodes: readonly BenchServer[], clients: ClientsProcess) {
  const cookies: string[][] = []
  let connected = 0
  for (const node of nodes) {
    const own = (await visitors(node.base, CLIENTS)).cookies
    const file = join(scratch, `${node.port}.cookies`)
    writeFileSync(file, own.join('\n'))
    connected = (await clients.ask<{ connected: number }>(`open ${CLIENTS} ${node.port} /counter/feed ${file}`))
      .connected
    cookies.push(own)
  }
  return { cookies, connected }
}

async function run(label: string, nodes: readonly BenchServer[]) {
  const clients = startClients(CLIENT.script)
  try {
    const { cookies, connected } = await openFeeds(nodes, clients)
    const senderOf = (i: number) => ({
      node: nodes[i % nodes.length] as BenchServer,
      cookie: cookies[i % nodes.length]?.[Math.floor(i / nodes.length) % CLIENTS] as string,
    })
    for (let i = 0; i < 20; i++) await incrementCounter(senderOf(i).node, senderOf(i).cookie)
    await Bun.sleep(1_000)
    const start = Math.min(...(await Promise.all(nodes.map(positionOf))))
    await clients.ask('reset')

    // RATE increments a second, round robin over the nodes; nothing else writes events, so the
    // k-th acknowledgement (in time) is taken as position start + k, and the k-th accepted send as
    // its start (a refused command writes nothing).
    const sent: number[] = []
    const acked: number[] = []
    const refused: Record<number, number> = {}
    const pending: Promise<void>[] = []
    const cpuBefore = await Promise.all(nodes.map((n) => usage(n.process.pid)))
    const began = now()
    for (let i = 0; i < RATE * SECONDS; i++) {
      const wait = began + (i * 1000) / RATE - now()
      if (wait > 0) await Bun.sleep(wait)
      const { node, cookie } = senderOf(i)
      const sentAt = now()
      pending.push(
        incrementCounter(node, cookie).then((status) => {
          if (status !== 204) refused[status] = (refused[status] ?? 0) + 1
          else {
            acked.push(now())
            sent.push(sentAt)
          }
        }),
      )
    }
    await Promise.all(pending)
    const cpuAfter = await Promise.all(nodes.map((n) => usage(n.process.pid)))
    const cpu = cpuAfter.reduce((sum, after, i) => sum + after.cpuMs - (cpuBefore[i]?.cpuMs ?? 0), 0) / (now() - began)
    await Bun.sleep(2_000)
    const file = join(scratch, `${nodes[0]?.port}.receipts`)
    await clients.ask(`save ${file}`)
    const byPosition = (times: readonly number[]) =>
      Object.fromEntries(times.map((at, k) => [start + k + 1, at])) as Record<number, number>
    const receipts = await loadReceipts(file)
    const total = CLIENTS * nodes.length
    return {
      label,
      connected,
      total,
      refused,
      cpu,
      steady: latencies(receipts, byPosition(acked), total, 'arrived'),
      // From the send: a patch can reach the feeds before the command's answer reaches its sender.
      endToEnd: latencies(receipts, byPosition(sent.sort((a, b) => a - b)), total, 'arrived'),
    }
  } finally {
    await clients.ask('close').catch(() => null)
    clients.process.kill()
    await clients.process.exited
  }
}

async function stopAll(nodes: readonly BenchServer[]) {
  await Promise.all(nodes.map((node) => node.stop()))
}

async function sqliteRow() {
  const node = await startApp(TREE)
  try {
    return await run('SQLite, one node (baseline)', [node])
  } finally {
    await stopAll([node])
  }
}

/** `count` nodes on a fresh database created beside the one `url` names, dropped afterwards. */
async function postgresRow(url: string, count: number) {
  const target = new URL(url)
  const database = `${target.pathname.slice(1) || 'postgres'}_feeds_${count}_${Date.now()}`
  target.pathname = `/${database}`
  const admin = new SQL(url, { max: 1 })
  await admin.unsafe(`CREATE DATABASE ${database}`)
  const nodes: BenchServer[] = []
  try {
    for (let i = 0; i < count; i++) nodes.push(await startApp(TREE, { DATABASE_URL: target.href }))
    const label = `PostgreSQL, ${count === 1 ? 'one node' : `${count} nodes`}`
    return await run(label, nodes)
  } finally {
    await stopAll(nodes)
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin.close()
  }
}

const receiver = CLIENT.native
  ? 'the C receiver (bench/fanout/receiver.c); "arrived" is when the kernel received the bytes'
  : 'the JavaScript clients; "arrived" is when the client process read the bytes'
console.log(
  `Load average before: ${await loadAverage()}. ${CLIENTS} clients per node, ${RATE} increments/s of the shared counter for ${SECONDS} s, round robin over the nodes. Clients: ${receiver}, one process for all nodes, each its own session, Accept-Encoding: gzip, deflate, br, zstd, decoding what they get.\n`,
)
const rows = [await sqliteRow()]
const url = process.env.DATABASE_URL
if (url?.startsWith('postgres')) rows.push(await postgresRow(url, 1), await postgresRow(url, 3))
else console.log('PostgreSQL skipped: set DATABASE_URL=postgres://… to measure it beside SQLite.\n')
const ms = (value: number) => Math.round(value * 10) / 10
printTable(
  rows.map((r) => ({
    setup: r.label,
    'feeds open': `${r.connected}/${r.total}`,
    'p50 / p99 ack → every client on every node, arrived (ms)': `${ms(r.steady.everyClientP50)} / ${ms(r.steady.everyClientP99)}`,
    'p50 / p99 sent → every client (ms)': `${ms(r.endToEnd.everyClientP50)} / ${ms(r.endToEnd.everyClientP99)}`,
    'p50 / p99 ack → each delivery (ms)': `${ms(r.steady.deliveryP50)} / ${ms(r.steady.deliveryP99)}`,
    'missed deliveries': r.steady.missing,
    'refused commands':
      Object.entries(r.refused)
        .map(([status, count]) => `${count} × ${status}`)
        .join(', ') || 0,
    'CPU of all nodes (cores)': r.cpu,
  })),
)
console.log(`Load average after: ${await loadAverage()}`)
rmSync(scratch, { recursive: true, force: true })

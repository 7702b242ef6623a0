// Read path fan-out in the shape browsers bring: every client its own session (a real GET of
// /counter), the browser's Accept-Encoding, decoding what it is sent, watching /counter/feed (a
// per-session view beside the shared counter). Commands increment the shared counter. The real
// app runs from each --tree checkout (repeat it: old and new design side by side, labelled by
// their commit), after a bare Bun.serve sending everyone the same bytes, all in one run.
// Flags: --tree <dir> (repeatable; default this checkout), --clients 1000, --hold 2000,
// --rate 50, --seconds 5, --js (the JavaScript clients even where the C receiver builds).
// The shapes: --clients 5000 --hold 10000 --seconds 10.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { type BenchServer, incrementCounter, startApp, startBare, usage, visitors } from './fanout/app-servers.ts'
import { pickClients, startClients } from './fanout/processes.ts'
import { latencies, loadReceipts } from './fanout/receipts.ts'
import { printTable } from './table.ts'

const { values } = parseArgs({
  options: {
    tree: { type: 'string', multiple: true },
    clients: { type: 'string', default: '1000' },
    hold: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '5' },
    js: { type: 'boolean', default: false },
  },
})
const TREES = (values.tree ?? [resolve(import.meta.dir, '..')]).map((t) => resolve(t))
const CLIENTS = Number(values.clients)
const HOLD = Math.max(Number(values.hold), CLIENTS)
const RATE = Number(values.rate)
const SECONDS = Number(values.seconds)
const CLIENT = await pickClients(values.js)
const scratch = mkdtempSync(join(tmpdir(), 'ironstar-fanout-browsers-'))
const now = () => performance.timeOrigin + performance.now()
const loadAverage = async () => (await Bun.file('/proc/loadavg').text()).split(' ').slice(0, 3).join(' ')

/** Opens `cookies.length` browser-shaped feeds in a new client process. */
async function openFeeds(server: BenchServer, cookies: readonly string[], name: string) {
  const file = join(scratch, `${name}.cookies`)
  writeFileSync(file, cookies.join('\n'))
  const clients = startClients(CLIENT.script)
  const opened = await clients.ask<{ connected: number; encodings: Record<string, number> }>(
    `open ${cookies.length} ${server.port} /counter/feed ${file}`,
  )
  return { clients, opened }
}

async function closeClients(clients: ReturnType<typeof startClients>) {
  await clients.ask('close').catch(() => null)
  clients.process.kill()
  await clients.process.exited
}

async function run(server: BenchServer) {
  const { cookies } = await visitors(server.base, HOLD)
  const pid = server.process.pid
  Bun.gc(true)
  const idle = await usage(pid)
  const timed = await openFeeds(server, cookies.slice(0, CLIENTS), `${pid}-timed`)
  const extra = HOLD > CLIENTS ? await openFeeds(server, cookies.slice(CLIENTS), `${pid}-extra`) : null
  await Bun.sleep(2_000)
  const held = await usage(pid)
  const heldOpen = timed.opened.connected + (extra?.opened.connected ?? 0)
  const encodings: Record<string, number> = { ...timed.opened.encodings }
  for (const [name, count] of Object.entries(extra?.opened.encodings ?? {}))
    encodings[name] = (encodings[name] ?? 0) + count
  if (extra) await closeClients(extra.clients)

  // Steady: RATE increments a second from visitors in turn; the k-th acknowledgement is taken as
  // position (start + k), as nothing else writes events meanwhile.
  for (let i = 0; i < 20; i++) await incrementCounter(server, cookies[i % CLIENTS] as string)
  await Bun.sleep(1_000)
  const start = Number(/since=(\d+)/.exec(await (await fetch(`${server.base}/counter`)).text())?.[1] ?? 0)
  await timed.clients.ask('reset')
  const acked: number[] = []
  let refused = 0
  const pending: Promise<void>[] = []
  const cpuBefore = await usage(pid)
  const began = now()
  for (let i = 0; i < RATE * SECONDS; i++) {
    const wait = began + (i * 1000) / RATE - now()
    if (wait > 0) await Bun.sleep(wait)
    pending.push(
      incrementCounter(server, cookies[i % CLIENTS] as string).then((status) => {
        if (status === 204) acked.push(now())
        else refused++
      }),
    )
  }
  await Promise.all(pending)
  const cpu = ((await usage(pid)).cpuMs - cpuBefore.cpuMs) / (now() - began)
  await Bun.sleep(1_500)
  const file = join(scratch, `${pid}.receipts`)
  await timed.clients.ask(`save ${file}`)
  await closeClients(timed.clients)
  const acks: Record<number, number> = {}
  for (const [k, at] of acked.entries()) acks[start + k + 1] = at
  const steady = latencies(await loadReceipts(file), acks, CLIENTS, 'arrived')
  return { server: server.label, encodings, heldOpen, perFeed: (held.rss - idle.rss) / HOLD, steady, refused, cpu }
}

const receiver = CLIENT.native
  ? 'the C receiver (bench/fanout/receiver.c); "arrived" is when the kernel received the bytes'
  : 'the JavaScript clients; "arrived" is when the client process read the bytes'
console.log(
  `Load average before: ${await loadAverage()}. ${CLIENTS} timed clients, ${RATE} increments/s for ${SECONDS} s; ${HOLD} feeds held open for the memory figure. Clients: ${receiver}, one process, each its own session, Accept-Encoding: gzip, deflate, br, zstd, decoding what they get.\n`,
)
const results = []
for (const start of [startBare, ...TREES.map((tree) => () => startApp(tree))]) {
  const server = await start()
  try {
    results.push(await run(server))
  } finally {
    await server.stop()
  }
}
const ms = (value: number) => Math.round(value * 10) / 10
printTable(
  results.map((r) => ({
    server: r.server,
    'Content-Encoding (feeds)': Object.entries(r.encodings)
      .map(([name, count]) => `${name} ${count}`)
      .join(', '),
    [`p50 / p99 ack → every client, arrived (ms), ${CLIENTS} clients`]: `${ms(r.steady.everyClientP50)} / ${ms(r.steady.everyClientP99)}`,
    'p50 / p99 ack → each delivery, arrived (ms)': `${ms(r.steady.deliveryP50)} / ${ms(r.steady.deliveryP99)}`,
    'missed deliveries': r.steady.missing,
    'refused commands': r.refused,
    'server CPU (cores)': r.cpu,
    [`feeds held (of ${HOLD})`]: r.heldOpen,
    'RSS per idle feed (KiB)': Math.round((r.perFeed / 1024) * 10) / 10,
  })),
)
console.log(`Load average after: ${await loadAverage()}`)
rmSync(scratch, { recursive: true, force: true })

// Read path fan-out: one server process, thousands of SSE clients in another, commands at a
// steady rate. Ironstar (store → bus → projection → feed hub) against a bare Bun.serve that
// writes the same bytes to every stream, measured in the same run. Also: memory per idle
// feed connection, connections held open, and the compression ratio of a fat-morph stream.
// FANOUT_CLIENTS (1000,5000: one run per count), FANOUT_HOLD (10000, opened in the largest run),
// FANOUT_SECONDS (10), FANOUT_RATE (50) tune it; FANOUT_RECEIVER=js times with the JavaScript clients.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SharedMessage } from '../src/core/web/sse/compression.ts'
import { encodePatch } from '../src/core/web/sse/encode.ts'
import { pickClients, startClients, startFanoutServer } from './fanout/processes.ts'
import { latencies, loadReceipts } from './fanout/receipts.ts'
import { renderTodoList } from './fanout/view.ts'
import { printTable } from './table.ts'

const COUNTS = (process.env.FANOUT_CLIENTS ?? '1000,5000').split(',').map(Number)
const HOLD = Number(process.env.FANOUT_HOLD ?? 10_000)
const SECONDS = Number(process.env.FANOUT_SECONDS ?? 10)
const RATE = Number(process.env.FANOUT_RATE ?? 50)
const BURST = 300
const now = () => performance.timeOrigin + performance.now()
const scratch = mkdtempSync(join(tmpdir(), 'ironstar-fanout-bench-'))

const CLIENT = await pickClients(process.env.FANOUT_RECEIVER === 'js')

interface Stats {
  cpuMs: number
  rss: number
  heap: number
  connections: number
  renders: number
}

async function runMode(mode: 'ironstar' | 'bare', CLIENTS: number, hold: number) {
  const { process: server, port } = await startFanoutServer(mode)
  const base = `http://127.0.0.1:${port}`
  const { process: clients, ask } = startClients(CLIENT.script)
  /** Saves what the clients received and reads it back. */
  const receipts = async () => {
    const file = join(scratch, `${mode}-${CLIENTS}.receipts`)
    const saved = await ask<{ events: number; reads?: number; stampedReads?: number }>(`save ${file}`)
    // Share of reads that carried the kernel's arrival time (the rest fall back to the read time).
    const stamped = saved.reads ? (saved.stampedReads ?? 0) / saved.reads : 0
    return { events: saved.events, stamped, rows: await loadReceipts(file) }
  }
  const stats = async () => (await (await fetch(`${base}/stats`)).json()) as Stats
  const command = async (note: string) => {
    const sentAt = now()
    const response = await fetch(`${base}/cmd?note=${note}`, { method: 'POST' })
    const { position } = (await response.json()) as { position: number }
    return { position, ackAt: now(), sentAt }
  }

  try {
    const idle = await stats()
    const opened = await ask<{ connected: number }>(`open ${CLIENTS} ${port} /feed`)
    await Bun.sleep(500)
    const held = await stats()
    for (let i = 0; i < 20; i++) await command(`warm-${i}`)
    await Bun.sleep(500)

    // Steady: RATE commands per second, each acknowledged after its durable commit.
    await ask('reset')
    const cpuBefore = (await stats()).cpuMs
    const acks: Record<number, number> = {}
    const sends: Record<number, number> = {}
    const pending: Promise<void>[] = []
    const started = now()
    for (let i = 0; i < RATE * SECONDS; i++) {
      const due = started + (i * 1000) / RATE
      const wait = due - now()
      if (wait > 0) await Bun.sleep(wait)
      pending.push(
        command(`s${i}`).then(({ position, ackAt, sentAt }) => {
          acks[position] = ackAt
          sends[position] = sentAt
        }),
      )
    }
    await Promise.all(pending)
    await Bun.sleep(1_000)
    const { rows, stamped } = await receipts()
    const steady = latencies(rows, acks, CLIENTS, 'arrived')
    // When the client process read them: with thousands of clients in one process, its own
    // scheduling shows here (the JavaScript clients only have this time).
    const steadyRead = latencies(rows, acks, CLIENTS, 'read')
    // The same receipts measured from when the command was sent: a bare server that broadcasts
    // before it answers looks faster from the ack than it is end to end.
    const endToEnd = latencies(rows, sends, CLIENTS, 'arrived')
    const steadyCpu = ((await stats()).cpuMs - cpuBefore) / (now() - started)

    // Burst: as fast as 16 concurrent callers can; deliveries per second until every client has the last one.
    await ask('reset')
    const burstAcks: Record<number, number> = {}
    let next = 0
    const burstStart = now()
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < BURST) {
          const { position, ackAt } = await command(`b${next++}`)
          burstAcks[position] = ackAt
        }
      }),
    )
    await Bun.sleep(2_000)
    const burstReceipts = await receipts()
    const burst = latencies(burstReceipts.rows, burstAcks, CLIENTS, 'arrived')
    const burstSeconds = (burst.lastReceipt - burstStart) / 1000
    const deliveriesPerSecond = (CLIENTS * BURST) / burstSeconds
    const eventsPerSecond = burstReceipts.events / burstSeconds

    // Hold: open up to HOLD connections in total and check they all stay registered.
    const more = hold > CLIENTS ? await ask<{ connected: number }>(`open ${hold - CLIENTS} ${port} /feed`) : opened
    await Bun.sleep(1_000)
    const holding = await stats()
    await ask('close').catch(() => null)
    return {
      mode,
      clients: CLIENTS,
      steadyCpu,
      opened: opened.connected,
      steady,
      steadyRead,
      stamped,
      endToEnd,
      burst,
      deliveriesPerSecond,
      eventsPerSecond,
      perConnectionKiB: (held.rss - idle.rss) / CLIENTS / 1024,
      heapPerConnectionKiB: (held.heap - idle.heap) / CLIENTS / 1024,
      held: Math.min(more.connected, holding.connections),
      holdRssMiB: holding.rss / 1024 / 1024,
      renders: holding.renders,
    }
  } finally {
    clients.kill()
    server.kill('SIGTERM')
    await Promise.all([clients.exited, server.exited])
  }
}

/** The fat-morph stream as a connection in step gets it: each update compressed once, against the one before. */
function compressionRatio() {
  let compressed = 0
  let raw = 0
  let previous: SharedMessage | null = null
  for (let i = 1; i <= 100; i++) {
    const message: SharedMessage = new SharedMessage(encodePatch(renderTodoList(i, Math.floor(i / 3)), i), previous)
    raw += message.bytes.byteLength
    compressed += message.compressedAfter(previous?.token ?? null).byteLength
    previous = message
  }
  return { raw, compressed, ratio: raw / compressed }
}

const runs: Awaited<ReturnType<typeof runMode>>[] = []
for (const count of COUNTS) {
  const hold = count === Math.max(...COUNTS) ? Math.max(HOLD, count) : count
  const bare = await runMode('bare', count, hold)
  runs.push(bare)
  if (process.env.FANOUT_ONLY !== 'bare') runs.push(await runMode('ironstar', count, hold))
}
const ms = (value: number) => Math.round(value * 10) / 10
const label = (mode: string) => (mode === 'bare' ? 'bare Bun.serve (baseline)' : 'Ironstar feed')
const bareOf = (clients: number) => runs.find((r) => r.mode === 'bare' && r.clients === clients)

const receiver = CLIENT.native
  ? 'the C receiver: "arrived" is when the kernel received the bytes (SO_TIMESTAMPNS), "read" when the client process read them'
  : 'the JavaScript clients: both times are when the client process read the bytes'
console.log(
  `${RATE} commands/s for ${SECONDS} s; "every client": until the last client has the event, from the command's acknowledgement (durable) unless said otherwise. Clients: ${receiver}.\n`,
)
const pair = (a: number, b: number) => `${ms(a)} / ${ms(b)}`
printTable(
  runs.map((r) => ({
    server: label(r.mode),
    clients: r.clients,
    'p50 / p99 every client, arrived (ms)': pair(r.steady.everyClientP50, r.steady.everyClientP99),
    'p50 / p99 every client, read (ms)': pair(r.steadyRead.everyClientP50, r.steadyRead.everyClientP99),
    'p50 / p99 sent → every client, arrived (ms)': pair(r.endToEnd.everyClientP50, r.endToEnd.everyClientP99),
    'p50 / p99 delivery, arrived (ms)': pair(r.steady.deliveryP50, r.steady.deliveryP99),
    'missed deliveries': r.steady.missing,
    'reads with arrival time': `${Math.round(r.stamped * 100)} %`,
    'server CPU (cores)': r.steadyCpu,
    [`burst of ${BURST}: updates delivered/s`]: Math.round(r.deliveriesPerSecond),
    'vs bare': r.deliveriesPerSecond / (bareOf(r.clients)?.deliveriesPerSecond ?? Number.NaN),
    'SSE events written/s': Math.round(r.eventsPerSecond),
  })),
)
printTable(
  runs.map((r) => ({
    server: label(r.mode),
    clients: r.clients,
    'RSS per idle connection (KiB)': r.perConnectionKiB,
    'JS heap per idle connection (KiB)': r.heapPerConnectionKiB,
    'held open': r.held,
    'RSS holding them (MiB)': r.holdRssMiB,
    'renders (whole run)': r.renders,
  })),
)
console.log('Fat-morph stream of 100 todo-list updates (the list grows from 1 to 100 items)\n')
const compression = [{ name: 'gzip, shared and warm (level 6)', ...compressionRatio() }]
printTable(
  compression.map((r) => ({
    encoding: r.name,
    'raw bytes': r.raw,
    'compressed bytes': r.compressed,
    ratio: `${r.ratio.toFixed(1)}:1`,
  })),
)
rmSync(scratch, { recursive: true, force: true })

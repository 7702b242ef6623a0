// Overload harness: a real server (`bun src/main.ts`, a child process, so a lock-up shows) with a long
// hot stream (the global counter), then bursts of commands past the append queue on that stream and
// on short ones (one per session), then concurrent clients each with its own session. For each phase:
// the status mix, command latency, and the latency of /healthz, a page GET and a feed's first byte
// against the same probes on the idle server; at the end, the time SIGTERM takes and whether every
// 303 is in the log. The per-session and per-IP buckets are switched off (every client is one IP).
// A client waits as long as a 503's Retry-After asks before its next command; a burst does not.
// `--burst 0` skips the bursts. SERVER_BUN_OPTIONS (e.g. `--cpu-prof --cpu-prof-md`) is passed to
// the server as BUN_OPTIONS, to profile it under the load.
// Full shape: bun bench/faults/overload.ts --events 100000 --burst 15000 --queue 10000 --clients 500,2000 --seconds 20
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openDatabase } from '../../src/core/eventsourcing/database.ts'
import { migrate } from '../../src/core/eventsourcing/migrations.ts'
import { SqliteEventStore } from '../../src/core/eventsourcing/store/sqlite-event-store.ts'
import { EventRegistry } from '../../src/core/eventsourcing/upcast.ts'
import { COUNTER_EVENT_TYPES, globalCounterStream } from '../../src/features/counter/domain.ts'
import { migrations } from '../../src/migrations.ts'
import { sqliteEnv } from '../../test/fixtures/process.ts'
import { printTable } from '../table.ts'

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    burst: { type: 'string', default: '3000' },
    queue: { type: 'string', default: '200' },
    clients: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '3' },
    ramp: { type: 'string', default: '1' },
    pin: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})
if (flags.help) {
  console.log(
    'bun bench/faults/overload.ts [--events N] [--burst N] [--queue N] [--clients 500,2000] [--seconds S] [--ramp S] [--pin]',
  )
  process.exit(0)
}
// `--pin`: the server alone on the first core, this process (the load) and the probes on the rest,
// as if the clients were other hosts: on two shared cores they otherwise take the server's turns.
const SERVER_CPU = '0'
const CLIENT_CPUS = `1-${Math.max(1, navigator.hardwareConcurrency - 1)}`
const pinned = (cpus: string, argv: string[]) => (flags.pin ? ['taskset', '-c', cpus, ...argv] : argv)
// Bun's fetch keeps 256 requests in flight per process unless told otherwise: re-run with room for the load.
if (!process.env.BUN_CONFIG_MAX_HTTP_REQUESTS) {
  const env = { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: '65000' }
  const argv = pinned(CLIENT_CPUS, ['bun', ...process.argv.slice(1)])
  const child = Bun.spawn(argv, { env, stdout: 'inherit', stderr: 'inherit' })
  process.exit(await child.exited)
}

const ROOT = join(import.meta.dir, '../..')
const EVENTS = Number(flags.events)
const BURST = Number(flags.burst)
const CLIENTS = flags.clients.split(',').map(Number)
const SECONDS = Number(flags.seconds)
// Clients arrive over RAMP_MS, as visitors do, and the probes measure once all are in: 2,000
// connections in one millisecond overflow Bun's listen backlog (512), and a probe whose SYN is
// dropped waits the kernel's 1 s retransmit (a storm of its own, not the server's load).
const RAMP_MS = Number(flags.ramp) * 1_000

/** The hot stream, written straight to the database before the server starts. */
async function seed(dir: string): Promise<void> {
  const db = openDatabase(join(dir, 'ironstar.sqlite'))
  migrate(db, migrations)
  const store = new SqliteEventStore(db, new EventRegistry().registerAll(COUNTER_EVENT_TYPES))
  const at = new Date().toISOString()
  for (let version = 0; version < EVENTS; version += 1_000) {
    const events = Array.from({ length: Math.min(1_000, EVENTS - version) }, (_, i) => ({
      type: 'CounterIncremented',
      data: { value: version + i + 1, at },
    }))
    await store.append(globalCounterStream, version, events)
  }
  await store.close()
  db.close()
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0)
}

interface Tally {
  statuses: Map<string, number>
  ms: number[]
  retryAfterMissing: number
}

/** Sends one command; answers the seconds its Retry-After asks a well-behaved client to wait, else 0. */
async function command(origin: string, path: string, cookie: string, tally: Tally): Promise<number> {
  const started = performance.now()
  let key = 'error'
  let retryAfter = 0
  try {
    const response = await fetch(origin + path, {
      method: 'POST',
      headers: { Origin: origin, Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    })
    await response.arrayBuffer()
    key = String(response.status)
    if (response.status === 503 || response.status === 429) {
      retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN)
      if (!Number.isFinite(retryAfter)) tally.retryAfterMissing++
    }
  } catch {}
  tally.ms.push(performance.now() - started)
  tally.statuses.set(key, (tally.statuses.get(key) ?? 0) + 1)
  return Number.isFinite(retryAfter) ? retryAfter : 0
}

function probes(origin: string, ms: number, cookie: string): Promise<Record<string, { ms: number[]; failed: number }>> {
  const child = Bun.spawn(['bun', join(import.meta.dir, '_overload-probes.ts'), origin, String(ms), cookie], {
    stdout: 'pipe',
    stderr: 'inherit',
  })
  return new Response(child.stdout).text().then((text) => JSON.parse(text))
}

async function session(origin: string): Promise<string> {
  const response = await fetch(`${origin}/counter`)
  await response.arrayBuffer()
  return response.headers.get('set-cookie')?.split(';')[0] ?? ''
}

const dir = mkdtempSync(join(tmpdir(), 'ironstar-overload-'))
const seeded = performance.now()
await seed(dir)
const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
const port = probe.port
probe.stop(true)
const origin = `http://127.0.0.1:${port}`
const server = Bun.spawn(pinned(SERVER_CPU, ['bun', 'src/main.ts', 'serve']), {
  cwd: ROOT,
  env: {
    ...sqliteEnv(),
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dir,
    IRONSTAR_ENV: 'production',
    PUBLIC_ORIGIN: origin,
    APPEND_QUEUE_LIMIT: flags.queue,
    RATE_LIMIT_PER_SESSION: '0',
    RATE_LIMIT_PER_IP: '0',
    ...(process.env.SERVER_BUN_OPTIONS ? { BUN_OPTIONS: process.env.SERVER_BUN_OPTIONS } : {}),
  },
  stdout: 'ignore',
  stderr: 'inherit',
})
for (let i = 0; ; i++) {
  const ok = await fetch(`${origin}/healthz`).then(
    (r) => r.ok,
    () => false,
  )
  if (ok) break
  if (i > 600) throw new Error('The server did not answer /healthz within 30 s')
  await Bun.sleep(50)
}
console.log(
  `${EVENTS.toLocaleString('en-US')} events on the hot stream (seeded in ${Math.round(performance.now() - seeded)} ms), append queue ${flags.queue}, load ${(await Bun.file('/proc/loadavg').text()).split(' ').slice(0, 3).join(' ')}\n`,
)

const sessions = await Promise.all(Array.from({ length: Math.max(...CLIENTS, 100) }, () => session(origin)))
const probeCookie = sessions[0] ?? ''
const rows: Record<string, string | number>[] = []
const idle = await probes(origin, 5_000, probeCookie)
const idleP99 = (name: string) =>
  percentile(
    [...(idle[name]?.ms ?? [])].sort((a, b) => a - b),
    0.99,
  )

async function phase(name: string, load: (tally: Tally) => Promise<void>, probeAfterMs = 0): Promise<Tally> {
  const tally: Tally = { statuses: new Map(), ms: [], retryAfterMissing: 0 }
  const probing = Bun.sleep(probeAfterMs).then(() => probes(origin, SECONDS * 1_000, probeCookie))
  await load(tally)
  const probed = await probing
  const sorted = [...tally.ms].sort((a, b) => a - b)
  const mix = [...tally.statuses].map(([status, n]) => `${status}: ${n}`).join(', ')
  const probe = (p: string) => {
    const ms = [...(probed[p]?.ms ?? [])].sort((a, b) => a - b)
    return `${percentile(ms, 0.99).toFixed(1)} (idle ${idleP99(p).toFixed(1)}${probed[p]?.failed ? `, ${probed[p]?.failed} failed` : ''})`
  }
  rows.push({
    phase: name,
    commands: tally.ms.length,
    statuses: mix + (tally.retryAfterMissing ? `, ${tally.retryAfterMissing} without Retry-After` : ''),
    'command p50 / p99 ms': `${percentile(sorted, 0.5).toFixed(1)} / ${percentile(sorted, 0.99).toFixed(1)}`,
    'healthz p99 ms': probe('healthz'),
    'page p99 ms': probe('page'),
    'feed first byte p99 ms': probe('feed'),
  })
  return tally
}

const tallies: Tally[] = []
const burst = (path: (i: number) => string) => async (tally: Tally) => {
  await Promise.all(
    Array.from({ length: BURST }, (_, i) => command(origin, path(i), sessions[i % sessions.length] ?? '', tally)),
  )
  await Bun.sleep(SECONDS * 1_000) // the probes keep going while the server recovers
}
if (BURST > 0) {
  tallies.push(
    await phase(
      `burst of ${BURST} on the hot stream`,
      burst(() => '/counter/global/increment'),
    ),
  )
  tallies.push(
    await phase(
      `burst of ${BURST}, hot and short streams interleaved`,
      burst((i) => (i % 2 ? '/counter/session/increment' : '/counter/global/increment')),
    ),
  )
}
for (const clients of CLIENTS) {
  const until = performance.now() + RAMP_MS + SECONDS * 1_000
  const run = async (cookie: string, tally: Tally, index: number) => {
    await Bun.sleep((index * RAMP_MS) / clients)
    while (performance.now() < until) {
      const wait = await command(origin, '/counter/session/increment', cookie, tally)
      if (wait > 0) await Bun.sleep(Math.min(wait * 1_000, until - performance.now()))
    }
  }
  tallies.push(
    await phase(
      `${clients} clients, own sessions`,
      (tally) =>
        Promise.all(sessions.slice(0, clients).map((cookie, i) => run(cookie, tally, i))).then(() => undefined),
      RAMP_MS,
    ),
  )
}

const stopping = performance.now()
server.kill('SIGTERM')
const exited = await Promise.race([server.exited.then(() => true), Bun.sleep(20_000).then(() => false)])
if (!exited) server.kill('SIGKILL')
const stopMs = performance.now() - stopping

const db = openDatabase(join(dir, 'ironstar.sqlite'))
const written =
  db.query<{ n: number }, []>("SELECT count(*) AS n FROM events WHERE event_type = 'CounterIncremented'").get()?.n ?? 0
db.close()
rmSync(dir, { recursive: true, force: true })
const acknowledged = tallies.reduce((sum, tally) => sum + (tally.statuses.get('303') ?? 0), 0)

printTable(rows)
console.log(
  `SIGTERM → exit: ${exited ? `${Math.round(stopMs)} ms` : 'not within 20 s (killed)'}; ` +
    `events written by commands: ${written - EVENTS}, 303s: ${acknowledged}${written - EVENTS === acknowledged ? ' (equal)' : ' (DIFFERENT)'}`,
)
// A 303 without its event (or an event without its 303) is a broken promise, not a figure.
if (written - EVENTS !== acknowledged) process.exit(1)

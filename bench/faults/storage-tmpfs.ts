// A real full disk: DATA_DIR on a small tmpfs, the real server in production mode (analytics in
// DuckDB on that disk too), commands from clients with a session and from first visitors (a new
// session each), pages, /healthz and a feed; then a filler file takes every byte left, kept full
// for the fault's time, and is deleted. Unlike storage.ts's PRAGMA, this faults every writer:
// the event store, the session store, DuckDB, SQLite's -wal and -shm. Reports what each kind of
// request got meanwhile, /readyz and the failure counters of /metrics during and after, whether
// the process lived (the -shm is memory-mapped: a SIGBUS would kill it), the time from the
// delete to the first acknowledged command, and the audit of the log afterwards.
//
//   bun bench/faults/storage-tmpfs.ts       needs root (mount); exits 2 when mounting is refused
import { Database } from 'bun:sqlite'
import { readdirSync, statSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { printTable } from '../table.ts'
import { auditLog } from './_audit.ts'
import { loadAverage, readFlags } from './_flags.ts'
import { CommandLoad, type LoadClient } from './_load.ts'
import { Newcomers } from './_newcomers.ts'
import { Probes } from './_probes.ts'
import { freePort, killServer, type ServerProcess, spawnServer } from './_server.ts'
import { ReadyzWatch, readMetrics, readyStatus, WATCHED, type Watched } from './_storage-watch.ts'
import { fillDisk, freeBytes, mountTmpfs, TmpfsUnavailable, unmountTmpfs } from './_tmpfs.ts'
import { counts, diff, snapshot, untilAcknowledged } from './storage.ts'

export interface TmpfsOptions {
  readonly sizeMiB: number
  readonly clients: number
  readonly newcomers: number
  readonly faultMs: number
  /** How long the load goes on after the first acknowledgement once space is back. */
  readonly afterMs: number
}

export async function runTmpfsFault(options: TmpfsOptions) {
  const { sizeMiB, clients, newcomers: concurrency, faultMs, afterMs } = options
  const tmpfs = mountTmpfs(sizeMiB)
  const dataDir = tmpfs.dir
  const logFile = `${dataDir}.server.log` // beside the mount, not on it
  const port = freePort()
  const origin = `http://127.0.0.1:${port}`
  const env = { IRONSTAR_ENV: 'production', PUBLIC_ORIGIN: origin }
  const spawn = () => spawnServer({ port, dataDir, logFile, env })
  let server: ServerProcess | null = null
  try {
    server = await spawn()
    const usedAtStart = sizeMiB * 2 ** 20 - freeBytes(dataDir)
    const load = new CommandLoad(origin, { clients })
    await load.start()
    const newcomers = new Newcomers(origin, concurrency)
    await Bun.sleep(1_000) // steady load before the fault
    const metricsBefore = await readMetrics(origin)
    const before = snapshot(load)
    const newBefore = new Map(newcomers.statuses)
    const probes = await Probes.start(origin)
    const readyz = new ReadyzWatch(origin)
    const filler = join(dataDir, 'filler')
    const filled = fillDisk(filler)
    // Kept at 100 %: whatever a writer frees (a truncated WAL) the filler takes back.
    let mostFree = 0
    const faultEnds = performance.now() + faultMs
    while (performance.now() < faultEnds) {
      mostFree = Math.max(mostFree, freeBytes(dataDir))
      fillDisk(filler)
      await Bun.sleep(100)
    }
    const died = deathOf(server)
    const files = fileSizes(dataDir)
    const metricsDuring = died ? null : await readMetrics(origin)
    const commands = diff(before, snapshot(load))
    const firstVisits = delta(newBefore, newcomers.statuses)
    const probed = await probes.stop()
    const readyzDuring = await readyz.stop()
    const seen = load.counters.acknowledged
    const newSeen = newcomers.acknowledged
    unlinkSync(filler)
    const cleared = performance.now()
    if (died) server = await spawn() // the loops only end against a live server
    const live = server
    const since = (p: Promise<unknown>) => p.then(() => performance.now() - cleared)
    const [recoveryMs, newcomerRecoveryMs, readyMs] = await Promise.all([
      since(untilAcknowledged(load, seen)),
      since(until(() => newcomers.acknowledged > newSeen)),
      since(until(async () => (await readyStatus(origin)) === 'ready')),
    ])
    await Bun.sleep(afterMs)
    await newcomers.stop()
    await load.drain()
    // Nothing is sent any more: DuckDB, if it resumed by itself, reaches the log's head.
    const caughtUp = await until(async () => {
      const { 'log head': head, 'DuckDB position': position } = await readMetrics(origin)
      return position === head
    }, 10_000).then(
      () => true,
      () => false,
    )
    const metricsAfter = await readMetrics(origin)
    const aliveAfter = deathOf(live)
    await killServer(live, 'SIGTERM')
    const path = join(dataDir, 'ironstar.sqlite')
    const audit = auditLog(path, [...load.clients, ...newcomers.clients])
    return {
      usedAtStart,
      filled,
      mostFree,
      died,
      aliveAfter,
      files,
      caughtUp,
      commands,
      firstVisits,
      messages: newcomers.messages,
      probed,
      readyzDuring,
      metrics: { before: metricsBefore, during: metricsDuring, after: metricsAfter },
      recoveryMs,
      newcomerRecoveryMs,
      readyMs,
      acknowledged: load.counters.acknowledged + newcomers.acknowledged,
      inDoubt: load.counters.inDoubt + (newcomers.statuses.get('error') ?? 0),
      // A newcomer's one command is keyed (auditLog counts each client's first as unkeyed).
      audit: { ...audit, extra: audit.extra + newcomers.clients.length },
      sessionsMissing: missingSessions(path, newcomers.clients),
      logLines: warnings(await Bun.file(logFile).text()),
    }
  } finally {
    if (server) {
      server.child.kill('SIGKILL')
      await server.child.exited
    }
    const stuck = unmountTmpfs(tmpfs)
    if (stuck) console.error(stuck)
    await Bun.file(logFile)
      .delete()
      .catch(() => {})
  }
}

/** How the process ended, or null while it runs. */
const deathOf = ({ child }: ServerProcess): string | null =>
  child.signalCode !== null ? String(child.signalCode) : child.exitCode === null ? null : `exit ${child.exitCode}`

async function until(done: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`Not recovered within ${timeoutMs} ms`)
    await Bun.sleep(5)
  }
}

function delta(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [status, n] of after) if (n - (before.get(status) ?? 0) > 0) out[status] = n - (before.get(status) ?? 0)
  return out
}

/** Each file on the tmpfs (but the filler) and its size in KiB. */
function fileSizes(dir: string): string {
  return readdirSync(dir)
    .filter((name) => name !== 'filler')
    .map((name) => `${name} ${Math.round(statSync(join(dir, name)).size / 1024)} KiB`)
    .join(', ')
}

/** First visitors whose command was acknowledged but whose session the store does not hold. */
function missingSessions(path: string, clients: readonly LoadClient[]): number {
  const db = new Database(path, { readonly: true })
  try {
    const stored = db.query<{ found: number }, [string]>('SELECT 1 AS found FROM sessions WHERE id = ?')
    return clients.filter((client) => stored.get(client.sessionId) === null).length
  } finally {
    db.close()
  }
}

/** The server's warnings and errors by message, and any line that is not JSON (a crash's output). */
function warnings(log: string): Map<string, number> {
  const lines = new Map<string, number>()
  for (const line of log.split('\n').filter(Boolean)) {
    let key: string
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string }
      if (entry.level !== 'warn' && entry.level !== 'error') continue
      key = `${entry.level}: ${entry.msg}`
    } catch {
      key = `raw: ${line.slice(0, 160)}`
    }
    lines.set(key, (lines.get(key) ?? 0) + 1)
  }
  return lines
}

if (import.meta.main) {
  const flags = readFlags('bun bench/faults/storage-tmpfs.ts [--size-mb n] [--fault-ms n] [--clients n]', {
    'size-mb': { default: 16, help: 'size of the tmpfs DATA_DIR is on (the app starts in about 1 MiB)' },
    'fault-ms': { default: 3_000, help: 'how long the disk stays full' },
    clients: { default: 4, help: 'concurrent clients with a session, sending commands' },
    newcomers: { default: 2, help: 'concurrent first visitors, one command and a new session each' },
    'after-ms': { default: 2_000, help: 'load after recovery, before the audit' },
  })
  const r = await runTmpfsFault({
    sizeMiB: flags['size-mb'],
    clients: flags.clients,
    newcomers: flags.newcomers,
    faultMs: flags['fault-ms'],
    afterMs: flags['after-ms'],
  }).catch((error) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(error instanceof TmpfsUnavailable ? 2 : 1)
  })
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
  console.log(
    `${new Date().toISOString()} · load average ${await loadAverage()} · ${navigator.hardwareConcurrency} cores · tmpfs ${flags['size-mb']} MiB, ${mib(r.usedAtStart)} used at start, filler ${mib(r.filled)}, at most ${r.mostFree} bytes free during the fault\n`,
  )
  printTable([
    {
      'commands (session)': counts(r.commands),
      'first visits': counts(r.firstVisits),
      'pages / healthz': `${counts(r.probed.pages)} / ${counts(r.probed.healthz)}`,
      'slowest page ms': Math.round(r.probed.slowestPageMs),
      'feed open': r.probed.feedOpen ? 'yes' : 'no',
      'process during': r.died ? `DIED (${r.died})` : 'alive',
      'process after': r.aliveAfter ? `DIED (${r.aliveAfter})` : 'alive',
    },
  ])
  console.log(`\nfiles at the end of the fault: ${r.files}`)
  console.log('/readyz during the fault:', counts(r.readyzDuring))
  for (const [message, n] of r.messages) console.log(`first visits got ${n} × ${message}`)
  printTable(
    Object.keys(WATCHED).map((name) => {
      const key = name as keyof Watched
      return {
        counter: name,
        before: r.metrics.before[key],
        'end of fault': r.metrics.during?.[key] ?? '-',
        after: r.metrics.after[key],
      }
    }),
  )
  console.log(
    `\nrecovery after the delete: first 303 ${Math.round(r.recoveryMs)} ms, first visit 303 ${Math.round(r.newcomerRecoveryMs)} ms, /readyz ready ${Math.round(r.readyMs)} ms; DuckDB at the log's head once the load stopped: ${r.caughtUp ? 'yes' : 'NO'}`,
  )
  const { audit } = r
  console.log(
    `${r.acknowledged.toLocaleString('en-US')} acknowledged · in doubt ${r.inDoubt} · lost ${audit.lost} · duplicates ${audit.extra} · gapped streams ${audit.gappedStreams} · integrity ${audit.integrity} · sessions missing ${r.sessionsMissing}`,
  )
  console.log('\nserver warnings and errors:')
  for (const [line, n] of r.logLines) console.log(`  ${n} × ${line}`)
  const failed = audit.lost + audit.extra + audit.gappedStreams + r.sessionsMissing > 0 || audit.integrity !== 'ok'
  if (failed || r.died || r.aliveAfter || !r.caughtUp) process.exit(1)
}

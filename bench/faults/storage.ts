// Storage faults under command load: the real server (with a stdin hook to inject faults on its
// own connection, see _fault-server.ts) while several clients send commands, one fault after
// another: a full disk, a read-only database, a stalled disk, a deleted WAL. For each: what
// commands, pages, /healthz and a feed got meanwhile, and how long after the fault cleared the
// first command was acknowledged again. At the end the log is checked: every acknowledged
// command in it, none twice, versions contiguous, integrity ok, projections equal a fresh fold.
// Then a quiet shape on a fresh server: commands, a quiet period, the WAL unlinked while nothing
// writes, how long until /readyz says storage-failing, what one command gets then, and after a
// SIGKILL how many acknowledged commands the database file lacks.
//
//   bun bench/faults/storage.ts                          short run (1 s faults, 4 clients)
//   bun bench/faults/storage.ts --fault-ms 5000 --clients 32   the full run
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { printTable } from '../table.ts'
import { auditLog, projectionMismatches } from './_audit.ts'
import { loadAverage, readFlags } from './_flags.ts'
import { CommandLoad, type LoadClient, SESSION_ROUTE } from './_load.ts'
import { type ProbeReport, Probes } from './_probes.ts'
import { freePort, killServer, type ServerProcess, spawnServer } from './_server.ts'
import { waitForReady } from './crash-loop.ts'

export type StorageFault = 'full disk' | 'read-only database' | 'stalled disk' | 'deleted WAL'
export const STORAGE_FAULTS: readonly StorageFault[] = [
  'full disk',
  'read-only database',
  'stalled disk',
  'deleted WAL',
]

export interface StorageOptions {
  readonly faults?: readonly StorageFault[]
  readonly clients: number
  /** How long each fault lasts (the stalled disk: how long the lock is held). */
  readonly faultMs: number
}

export interface FaultReport {
  readonly fault: StorageFault
  /** Command answers during the fault, by status (303 = acknowledged). */
  readonly commands: Record<string, number>
  readonly probes: ProbeReport
  /** From the fault's end (for the WAL: a SIGKILL and restart) to the next acknowledged command. */
  readonly recoveryMs: number
  /** True when the server process was alive right after the fault. */
  readonly survived: boolean
}

export interface StorageResult {
  readonly faults: FaultReport[]
  readonly acknowledged: number
  /** 503 answers that came without Retry-After, over every fault. */
  readonly withoutRetryAfter: number
  readonly lost: number
  readonly duplicates: number
  readonly gappedStreams: number
  readonly integrity: string
  readonly projectionMismatches: number
}

const FAULT_SERVER = join(import.meta.dir, '_fault-server.ts')

export async function runStorageFaults(options: StorageOptions): Promise<StorageResult> {
  const { faults = STORAGE_FAULTS, clients, faultMs } = options
  const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-storage-faults-'))
  const path = join(dataDir, 'ironstar.sqlite')
  const port = freePort()
  const spawn = () => spawnServer({ port, dataDir, logFile: join(dataDir, 'server.log'), script: FAULT_SERVER })
  let server: ServerProcess = await spawn()
  const load = new CommandLoad(server.origin, { clients })
  const reports: FaultReport[] = []
  try {
    await load.start()
    for (const fault of faults) {
      await Bun.sleep(300) // steady load before the fault
      const before = snapshot(load)
      const probes = await Probes.start(server.origin)
      const clear = await inject(fault, server, path, faultMs)
      await Bun.sleep(faultMs)
      const survived = server.child.exitCode === null
      const commands = diff(before, snapshot(load))
      const probed = await probes.stop()
      const cleared = performance.now()
      const seen = load.counters.acknowledged
      if (fault === 'deleted WAL') {
        // The server refuses writes until restarted; it is killed, not stopped, so what it
        // acknowledged before must already be in the database file, not in the orphaned WAL.
        await killServer(server, 'SIGKILL')
        server = await spawn()
      } else await clear()
      await untilAcknowledged(load, seen)
      const recoveryMs = performance.now() - cleared
      reports.push({ fault, commands, probes: probed, recoveryMs, survived })
    }
    await load.drain()
    await waitForReady(server.origin)
    const mismatches = await projectionMismatches(server.origin, path, load.clients)
    await killServer(server, 'SIGTERM')
    const audit = auditLog(path, load.clients)
    return {
      faults: reports,
      acknowledged: load.counters.acknowledged,
      withoutRetryAfter: load.counters.withoutRetryAfter,
      lost: audit.lost,
      duplicates: audit.extra,
      gappedStreams: audit.gappedStreams,
      integrity: audit.integrity,
      projectionMismatches: mismatches,
    }
  } finally {
    server.child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export interface QuietWalOptions {
  readonly clients: number
  /** How long the clients send commands before they stop. */
  readonly loadMs: number
  /** How long nothing is sent before the WAL is unlinked. */
  readonly quietMs: number
  /** How long /readyz is watched after the unlink before the server is killed. @default 3000 */
  readonly watchMs?: number
}

export interface QuietWalResult {
  readonly acknowledged: number
  /** From the unlink to /readyz answering `storage-failing`; null when it did not within `watchMs`. */
  readonly noticedMs: number | null
  /** The status of one command sent once /readyz said so; null when it never did. */
  readonly commandAfter: number | null
  /** Acknowledged commands the database file lacks after the SIGKILL. */
  readonly lost: number
  readonly integrity: string
}

/** The WAL unlinked while no command comes: noticed without a write, and nothing acknowledged lost. */
export async function runQuietWalUnlink(options: QuietWalOptions): Promise<QuietWalResult> {
  const { clients, loadMs, quietMs, watchMs = 3_000 } = options
  const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-quiet-wal-'))
  const path = join(dataDir, 'ironstar.sqlite')
  const server = await spawnServer({ port: freePort(), dataDir, logFile: join(dataDir, 'server.log') })
  try {
    const load = new CommandLoad(server.origin, { clients })
    await load.start()
    await Bun.sleep(loadMs)
    await load.drain()
    await Bun.sleep(quietMs)
    unlinkSync(`${path}-wal`)
    const unlinked = performance.now()
    const noticed = await untilStorageFailing(server.origin, watchMs)
    const noticedMs = noticed ? performance.now() - unlinked : null
    const commandAfter = noticed && load.clients[0] ? await sendOneCommand(server.origin, load.clients[0]) : null
    await killServer(server, 'SIGKILL')
    const { lost, integrity } = auditAfterCrash(path, load.clients)
    return { acknowledged: load.counters.acknowledged, noticedMs, commandAfter, lost, integrity }
  } finally {
    server.child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  }
}

async function untilStorageFailing(origin: string, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    const res = await fetch(`${origin}/readyz`)
    const { status } = (await res.json()) as { status: string }
    if (status === 'storage-failing') return true
    await Bun.sleep(20)
  }
  return false
}

async function sendOneCommand(origin: string, client: LoadClient): Promise<number> {
  const res = await fetch(`${origin}${SESSION_ROUTE}`, {
    method: 'POST',
    headers: { Origin: origin, Cookie: client.cookie, 'Idempotency-Key': 'after-the-unlink' },
    redirect: 'manual',
  })
  await res.arrayBuffer()
  return res.status
}

/** A young database whose schema was only in the orphaned WAL has no events table: all is lost. */
function auditAfterCrash(path: string, clients: readonly LoadClient[]): { lost: number; integrity: string } {
  try {
    return auditLog(path, clients)
  } catch (error) {
    const lost = clients.reduce((n, client) => n + client.acknowledged.length, 0)
    return { lost, integrity: error instanceof Error ? error.message : String(error) }
  }
}

/** Starts the fault; returns what ends it. */
async function inject(fault: StorageFault, server: ServerProcess, path: string, faultMs: number) {
  const tell = (word: string) => {
    server.child.stdin.write(`${word}\n`)
    server.child.stdin.flush()
  }
  const lift = async () => tell('clear')
  if (fault === 'full disk') tell('full')
  else if (fault === 'read-only database') tell('readonly')
  else if (fault === 'deleted WAL') unlinkSync(`${path}-wal`)
  else {
    // Another process holds the write lock: the server's next write waits inside SQLite (its
    // busy timeout, 5 s), on the event loop, as it would for a disk that stopped answering.
    const holder = new Database(path)
    holder.run('PRAGMA busy_timeout = 10000') // the server commits all the time: wait for a gap
    holder.run('BEGIN IMMEDIATE')
    setTimeout(() => {
      holder.run('COMMIT')
      holder.close()
    }, faultMs)
    return async () => {}
  }
  await Bun.sleep(20) // the word reaches the server before the clock starts
  return lift
}

export type Snapshot = { acknowledged: number; statuses: Map<number, number> }
export const snapshot = (load: CommandLoad): Snapshot => ({
  acknowledged: load.counters.acknowledged,
  statuses: new Map(load.counters.statuses),
})

export function diff(before: Snapshot, after: Snapshot): Record<string, number> {
  const counts: Record<string, number> = { '303': after.acknowledged - before.acknowledged }
  for (const [status, n] of after.statuses) {
    const delta = n - (before.statuses.get(status) ?? 0)
    if (delta > 0) counts[String(status)] = delta
  }
  return counts
}

/** Waits for an acknowledgement beyond the `seen` first ones. */
export async function untilAcknowledged(load: CommandLoad, seen: number, timeoutMs = 30_000): Promise<void> {
  const started = performance.now()
  while (load.counters.acknowledged === seen) {
    if (performance.now() - started > timeoutMs) throw new Error(`No command acknowledged within ${timeoutMs} ms`)
    await Bun.sleep(1)
  }
}

export const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ')

if (import.meta.main) {
  const flags = readFlags('bun bench/faults/storage.ts [--fault-ms n] [--clients n]', {
    'fault-ms': { default: 1_000, help: 'how long each fault lasts (the stalled disk: the lock is held)' },
    clients: { default: 4, help: 'concurrent clients, one session each' },
    'quiet-ms': { default: 2_000, help: 'the quiet shape: how long nothing is sent before the WAL is unlinked' },
  })
  const r = await runStorageFaults({ clients: flags.clients, faultMs: flags['fault-ms'] })
  console.log(
    `${new Date().toISOString()} · load average ${await loadAverage()} · ${navigator.hardwareConcurrency} cores\n`,
  )
  printTable(
    r.faults.map((f) => ({
      fault: f.fault,
      'commands meanwhile': counts(f.commands),
      'pages meanwhile': counts(f.probes.pages),
      '/healthz meanwhile': counts(f.probes.healthz),
      'slowest page / healthz ms': `${Math.round(f.probes.slowestPageMs)} / ${Math.round(f.probes.slowestHealthzMs)}`,
      'feed open': f.probes.feedOpen ? 'yes' : 'no',
      'process alive': f.survived ? 'yes' : 'no',
      'recovery ms': Math.round(f.recoveryMs),
    })),
  )
  const { acknowledged, lost, duplicates, gappedStreams, integrity, projectionMismatches: differ } = r
  console.log(
    `${acknowledged.toLocaleString('en-US')} acknowledged · lost ${lost} · duplicates ${duplicates} · gapped streams ${gappedStreams} · integrity ${integrity} · projections ${differ === 0 ? '= fresh fold' : `differ for ${differ} clients`}`,
  )
  const q = await runQuietWalUnlink({ clients: flags.clients, loadMs: 1_000, quietMs: flags['quiet-ms'] })
  console.log('')
  printTable([
    {
      shape: `deleted WAL after ${flags['quiet-ms']} ms quiet`,
      'commands before': q.acknowledged,
      '/readyz storage-failing after': q.noticedMs === null ? 'not within 3000 ms' : `${Math.round(q.noticedMs)} ms`,
      'command then': q.commandAfter ?? 'not sent',
      'lost after SIGKILL': q.lost,
      integrity: q.integrity,
    },
  ])
  const failed = lost + duplicates + gappedStreams + differ + q.lost > 0
  if (failed || integrity !== 'ok' || q.integrity !== 'ok') process.exit(1)
}

// Storage faults under command load: the real server (with a stdin hook to inject faults on its
// own connection, see _fault-server.ts) while several clients send commands, one fault after
// another: a full disk, a read-only database, a stalled disk, a deleted WAL. For each: what
// commands, pages, /healthz and a feed got meanwhile, and how long after the fault cleared the
// first command was acknowledged again. At the end the log is checked: every acknowledged
// command in it, none twice, versions contiguous, integrity ok, projections equal a fresh fold.
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
import { CommandLoad } from './_load.ts'
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

type Snapshot = { acknowledged: number; statuses: Map<number, number> }
const snapshot = (load: CommandLoad): Snapshot => ({
  acknowledged: load.counters.acknowledged,
  statuses: new Map(load.counters.statuses),
})

function diff(before: Snapshot, after: Snapshot): Record<string, number> {
  const counts: Record<string, number> = { '303': after.acknowledged - before.acknowledged }
  for (const [status, n] of after.statuses) {
    const delta = n - (before.statuses.get(status) ?? 0)
    if (delta > 0) counts[String(status)] = delta
  }
  return counts
}

/** Waits for an acknowledgement beyond the `seen` first ones. */
async function untilAcknowledged(load: CommandLoad, seen: number, timeoutMs = 30_000): Promise<void> {
  const started = performance.now()
  while (load.counters.acknowledged === seen) {
    if (performance.now() - started > timeoutMs) throw new Error(`No command acknowledged within ${timeoutMs} ms`)
    await Bun.sleep(1)
  }
}

const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ')

if (import.meta.main) {
  const flags = readFlags('bun bench/faults/storage.ts [--fault-ms n] [--clients n]', {
    'fault-ms': { default: 1_000, help: 'how long each fault lasts (the stalled disk: the lock is held)' },
    clients: { default: 4, help: 'concurrent clients, one session each' },
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
  if (lost + duplicates + gappedStreams + differ > 0 || integrity !== 'ok') process.exit(1)
}

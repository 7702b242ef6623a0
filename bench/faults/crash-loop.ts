// Crash loop: the real server under steady command load from several clients (HTTP commands
// through the counter routes, each under an Idempotency-Key), SIGKILLed at random moments and
// restarted each time. After each kill, with the server down: the database is sound and holds
// every acknowledged command, and the in-doubt requests are looked up. At the end: none is
// duplicated, versions are contiguous, and the restarted server's counters equal a fresh fold.
//
//   bun bench/faults/crash-loop.ts                          short run (5 kills, 8 clients)
//   bun bench/faults/crash-loop.ts --kills 20 --clients 32  the full run
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seededRandom } from '../../src/core/testing/seeded-random.ts'
import { printTable } from '../table.ts'
import { auditLog, committedAmong, projectionMismatches } from './_audit.ts'
import { loadAverage, readFlags } from './_flags.ts'
import { CommandLoad, type SentCommand } from './_load.ts'
import { freePort, killServer, type ServerProcess, spawnServer } from './_server.ts'

export interface CrashLoopOptions {
  readonly kills: number
  readonly clients: number
  /** A kill comes between `minMs` and `maxMs` after the previous restart (uniformly, seeded). */
  readonly minMs: number
  readonly maxMs: number
  readonly seed: number
}

export interface CrashLoopResult {
  readonly kills: number
  readonly acknowledged: number
  readonly inDoubt: number
  /** In-doubt requests the log held when looked up right after the kill: they had committed. */
  readonly inDoubtCommitted: number
  /** Acknowledged commands missing from the log, summed over every check (must be 0). */
  readonly lost: number
  /** Counter events beyond the acknowledged commands at the end (must be 0). */
  readonly duplicates: number
  readonly gappedStreams: number
  /** Every `PRAGMA integrity_check` answer that was not `ok`. */
  readonly integrityFailures: string[]
  /** Clients whose page disagreed with a fresh fold of the log after the last restart (must be 0). */
  readonly projectionMismatches: number
  readonly events: number
  /** Milliseconds from each spawn to the first healthy answer, the first start excluded. */
  readonly restartMs: number[]
  /** Statuses other than 303 the clients were answered with. */
  readonly statuses: Record<string, number>
}

/** Runs the loop in a fresh data directory (removed afterwards) and returns what it found. */
export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-crash-loop-'))
  const path = join(dataDir, 'ironstar.sqlite')
  const port = freePort()
  const spawn = () => spawnServer({ port, dataDir, logFile: join(dataDir, 'server.log') })
  const random = seededRandom(options.seed)
  const doubts: SentCommand[] = []
  const restartMs: number[] = []
  const integrityFailures: string[] = []
  let server: ServerProcess = await spawn()
  let lost = 0
  let inDoubtCommitted = 0
  const load = new CommandLoad(server.origin, { clients: options.clients, onInDoubt: (c) => doubts.push(c) })
  try {
    await load.start()
    for (let kill = 0; kill < options.kills; kill++) {
      await Bun.sleep(options.minMs + random() * (options.maxMs - options.minMs))
      await killServer(server, 'SIGKILL')
      await Bun.sleep(100) // every request in flight fails and is reported in doubt
      inDoubtCommitted += committedAmong(path, doubts.splice(0))
      const audit = auditLog(path, load.clients)
      lost += audit.lost
      if (audit.integrity !== 'ok') integrityFailures.push(audit.integrity)
      server = await spawn()
      restartMs.push(server.readyMs)
    }
    await load.drain()
    await waitForReady(server.origin)
    const mismatches = await projectionMismatches(server.origin, path, load.clients)
    await killServer(server, 'SIGTERM')
    const final = auditLog(path, load.clients)
    if (final.integrity !== 'ok') integrityFailures.push(final.integrity)
    return {
      kills: options.kills,
      acknowledged: load.counters.acknowledged,
      inDoubt: load.counters.inDoubt,
      inDoubtCommitted,
      lost: lost + final.lost,
      duplicates: final.extra,
      gappedStreams: final.gappedStreams,
      integrityFailures,
      projectionMismatches: mismatches,
      events: final.events,
      restartMs,
      statuses: Object.fromEntries(load.counters.statuses),
    }
  } finally {
    server.child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Waits for `/readyz`: every projection has caught up with the log. */
export async function waitForReady(origin: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if ((await fetch(`${origin}/readyz`).catch(() => null))?.status === 200) return
    await Bun.sleep(20)
  }
  throw new Error(`${origin}/readyz did not answer 200 within ${timeoutMs} ms`)
}

const percentile = (values: readonly number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))] ?? 0

if (import.meta.main) {
  const flags = readFlags('bun bench/faults/crash-loop.ts [--kills n] [--clients n] …', {
    kills: { default: 5, help: 'SIGKILLs, each followed by a restart' },
    clients: { default: 8, help: 'concurrent clients, one session each' },
    'min-ms': { default: 300, help: 'shortest time between a restart and the next kill' },
    'max-ms': { default: 1_500, help: 'longest time between a restart and the next kill' },
    seed: { default: 14, help: 'seed of the kill times' },
  })
  const started = performance.now()
  const r = await runCrashLoop({
    kills: flags.kills,
    clients: flags.clients,
    minMs: flags['min-ms'],
    maxMs: flags['max-ms'],
    seed: flags.seed,
  })
  console.log(
    `${new Date().toISOString()} · load average ${await loadAverage()} · ${navigator.hardwareConcurrency} cores\n`,
  )
  printTable([
    {
      kills: r.kills,
      clients: flags.clients,
      acknowledged: r.acknowledged,
      'in doubt': r.inDoubt,
      'of those committed': r.inDoubtCommitted,
      'events lost': r.lost,
      duplicates: r.duplicates,
      'gapped streams': r.gappedStreams,
      integrity: r.integrityFailures.length === 0 ? 'ok' : r.integrityFailures.join('; '),
      'projection = fold': r.projectionMismatches === 0 ? 'yes' : `${r.projectionMismatches} clients differ`,
      'restart ms p50 / max': `${Math.round(percentile(r.restartMs, 0.5))} / ${Math.round(Math.max(...r.restartMs))}`,
    },
  ])
  console.log(
    `${r.events.toLocaleString('en-US')} events in the log; other answers: ${JSON.stringify(r.statuses)}; ${Math.round((performance.now() - started) / 1000)} s`,
  )
  const broken = r.lost + r.duplicates + r.gappedStreams + r.integrityFailures.length + r.projectionMismatches
  if (broken > 0) process.exit(1)
}

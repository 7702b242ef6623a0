// Start-up of the shipped binary against the baseline of running from source, measured the same way: spawn
// → first 200 from /healthz. Builds dist/ironstar first when it is missing. Each row is the median of RUNS.
// Then restarts over a long log (seeded straight into SQLite), to /healthz and to /readyz, for this tree and,
// with `--baseline <checkout>`, an older one in the same run:
//   bun bench/startup.bench.ts --sizes 0,100000,1000000 --restarts 3 --baseline ../old-checkout
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { sqliteEnv } from '../test/fixtures/process.ts'
import { seedLog } from '../test/fixtures/seed-log.ts'
import { printTable } from './table.ts'

const ROOT = join(import.meta.dir, '..')
const BINARY = join(ROOT, 'dist/ironstar')
const RUNS = 5
const { values: flags } = parseArgs({
  options: {
    sizes: { type: 'string', default: '0,100000' },
    restarts: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    // Only the restart table: no binary to build (a minute of both cores on a shared machine).
    'restarts-only': { type: 'boolean', default: false },
  },
})

function freePort(): number {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = probe.port as number
  probe.stop(true)
  return port
}

interface StartTimes {
  /** Spawn → first 200 from /healthz (liveness). */
  readonly healthy: number
  /** Spawn → first 200 from /readyz (every projection and resource started and caught up). */
  readonly ready: number
}

async function timeToReady(cmd: string[], env: Record<string, string>, cwd = ROOT): Promise<StartTimes> {
  const port = freePort()
  const base = `http://127.0.0.1:${port}`
  const started = performance.now()
  const child = Bun.spawn(cmd, {
    cwd,
    env: { ...sqliteEnv(), ...env, PORT: String(port) },
    stdout: 'ignore',
    stderr: 'ignore',
  })
  const ok = (path: string) =>
    fetch(base + path).then(
      (r) => r.ok,
      () => false,
    )
  let healthy = 0
  try {
    for (;;) {
      const [health, ready] = await Promise.all([healthy ? true : ok('/healthz'), ok('/readyz')])
      const now = performance.now() - started
      if (health && !healthy) healthy = now
      if (ready) return { healthy: healthy || now, ready: now }
      if (now > 180_000) throw new Error(`Cannot see ${cmd.join(' ')} ready within 180 s`)
      await Bun.sleep(5)
    }
  } finally {
    child.kill('SIGTERM')
    await child.exited
  }
}

const timeToHealthy = async (cmd: string[], env: Record<string, string>) => (await timeToReady(cmd, env)).healthy

async function timeCommand(cmd: string[], env: Record<string, string>): Promise<number> {
  const started = performance.now()
  const child = Bun.spawn(cmd, { cwd: ROOT, env: { ...sqliteEnv(), ...env }, stdout: 'ignore', stderr: 'ignore' })
  const code = await child.exited
  if (code !== 0) throw new Error(`Cannot run ${cmd.join(' ')}: exit ${code}`)
  return performance.now() - started
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

if (!flags['restarts-only'] && !existsSync(BINARY)) {
  const built = Bun.spawnSync(['bun', 'build.ts'], { cwd: ROOT, stdout: 'ignore', stderr: 'inherit' })
  if (!built.success) throw new Error('Cannot build dist/ironstar')
}

const scratch = mkdtempSync(join(tmpdir(), 'ironstar-startup-'))
try {
  const env = (name: string) => ({
    DATA_DIR: join(scratch, name),
    IRONSTAR_CACHE_DIR: join(scratch, 'cache'),
    HOST: '127.0.0.1',
    IRONSTAR_ENV: 'production',
    PUBLIC_ORIGIN: 'https://app.example.com',
  })
  if (!flags['restarts-only']) await measureBinary(env)
  printTable(await measureRestarts(env))
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

async function measureBinary(env: (name: string) => Record<string, string>): Promise<void> {
  const rows: Record<string, string | number>[] = []
  const measure = async (label: string, run: (i: number) => Promise<number>) => {
    const times: number[] = []
    for (let i = 0; i < RUNS; i++) times.push(await run(i))
    rows.push({ case: label, 'median ms': median(times), 'min ms': Math.min(...times), 'max ms': Math.max(...times) })
  }
  await measure('baseline: bun src/main.ts serve → /healthz', () =>
    timeToHealthy(['bun', 'src/main.ts', 'serve'], env('source')),
  )
  await measure('binary serve → /healthz', () => timeToHealthy([BINARY, 'serve'], env('binary')))
  await measure('binary doctor, DuckDB cache cold (extracts ~70 MB)', (i) =>
    timeCommand([BINARY, 'doctor'], { ...env('doctor'), IRONSTAR_CACHE_DIR: join(scratch, `cold-${i}`) }),
  )
  await measure('binary doctor, DuckDB cache warm', () => timeCommand([BINARY, 'doctor'], env('doctor')))
  await measure('baseline: bun src/main.ts doctor', () => timeCommand(['bun', 'src/main.ts', 'doctor'], env('doctor')))
  printTable(rows)
  printTable([{ file: 'dist/ironstar', 'size MB': statSync(BINARY).size / 1_048_576 }])
}

/**
 * Per log size and build: the first start over the seeded log (no snapshot, DuckDB empty), then the
 * median of `--restarts` restarts, from source (`bun src/main.ts serve`). Each build gets its own copy
 * of the seeded file (a newer build adds a migration an older one refuses).
 */
async function measureRestarts(
  env: (name: string) => Record<string, string>,
): Promise<Record<string, string | number>[]> {
  const builds = [
    ...(flags.baseline ? [{ name: 'baseline', root: resolve(flags.baseline) }] : []),
    { name: 'this tree', root: ROOT },
  ]
  const restarts = Number(flags.restarts)
  const rows: Record<string, string | number>[] = []
  for (const size of (flags.sizes ?? '').split(',').map(Number)) {
    const seeded = join(scratch, `seed-${size}`)
    mkdirSync(seeded, { recursive: true })
    const seedStarted = performance.now()
    if (size > 0) seedLog(join(seeded, 'ironstar.sqlite'), size)
    const seedMs = Math.round(performance.now() - seedStarted)
    for (const build of builds) {
      const dataDir = join(scratch, `data-${size}-${build.name.replace(' ', '-')}`)
      cpSync(seeded, dataDir, { recursive: true })
      const run = () => timeToReady(['bun', 'src/main.ts', 'serve'], { ...env(''), DATA_DIR: dataDir }, build.root)
      const first = await run()
      const again: StartTimes[] = []
      for (let i = 0; i < restarts; i++) again.push(await run())
      const row = (start: string, times: StartTimes[]) => ({
        events: size,
        build: build.name,
        start,
        'to /healthz ms': median(times.map((t) => t.healthy)),
        'to /readyz ms': median(times.map((t) => t.ready)),
        runs: times.length,
      })
      rows.push(row('first (no snapshot, DuckDB empty)', [first]), row('restart', again))
    }
    console.log(`(seeded ${size} events in ${seedMs} ms)`)
  }
  return rows
}

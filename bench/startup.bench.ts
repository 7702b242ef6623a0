// Start-up of the shipped binary against the baseline of running from source, measured the same way: spawn
// → first 200 from /healthz. Builds dist/ironstar first when it is missing. Each row is the median of RUNS.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteEnv } from '../test/fixtures/process.ts'
import { printTable } from './table.ts'

const ROOT = join(import.meta.dir, '..')
const BINARY = join(ROOT, 'dist/ironstar')
const RUNS = 5

function freePort(): number {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = probe.port as number
  probe.stop(true)
  return port
}

async function timeToHealthy(cmd: string[], env: Record<string, string>): Promise<number> {
  const port = freePort()
  const started = performance.now()
  const child = Bun.spawn(cmd, {
    cwd: env.CWD ?? ROOT,
    env: { ...sqliteEnv(), ...env, PORT: String(port) },
    stdout: 'ignore',
    stderr: 'ignore',
  })
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) return performance.now() - started
      if (performance.now() - started > 20_000) throw new Error(`Cannot reach ${cmd.join(' ')} within 20 s`)
      await Bun.sleep(5)
    }
  } finally {
    child.kill('SIGTERM')
    await child.exited
  }
}

async function timeCommand(cmd: string[], env: Record<string, string>): Promise<number> {
  const started = performance.now()
  const child = Bun.spawn(cmd, { cwd: ROOT, env: { ...sqliteEnv(), ...env }, stdout: 'ignore', stderr: 'ignore' })
  const code = await child.exited
  if (code !== 0) throw new Error(`Cannot run ${cmd.join(' ')}: exit ${code}`)
  return performance.now() - started
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

if (!existsSync(BINARY)) {
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
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

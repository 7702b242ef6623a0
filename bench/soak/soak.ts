/**
 * Soak: the real server in a child process under feed churn and steady commands for N minutes,
 * its memory sampled at a fixed interval, and a least-squares slope of RSS and heap over the last
 * 20 minutes (or the last two thirds of a shorter run), in MiB per minute. A leak shows as a
 * slope that stays up; warm-up as one that falls to about zero.
 *
 *   bun bench/soak/soak.ts                      # 2 minutes, the short default
 *   bun bench/soak/soak.ts --minutes 30         # the full run
 *   bun bench/soak/soak.ts --feeds 0            # commands only; --rate 0 for feeds only
 *   bun bench/soak/soak.ts --env ANALYTICS_MEMORY_LIMIT=32MB   # the server under another setting
 *   bun bench/soak/soak.ts --without analytics  # the app less a slice (its DuckDB columns read —)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { sqliteEnv } from '../../test/fixtures/process.ts'
import { printTable } from '../table.ts'
import { Churn } from './churn.ts'
import type { MemorySample } from './server.ts'

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '2' },
    feeds: { type: 'string', default: '40' },
    rate: { type: 'string', default: '20' },
    visitors: { type: 'string', default: '16' },
    'new-visitors': { type: 'string', default: '1' },
    encodings: { type: 'string' },
    'sample-seconds': { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
    without: { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', default: false },
  },
})
if (args.help) {
  console.log(
    'bun bench/soak/soak.ts [--minutes 2] [--feeds 40] [--rate 20 commands/s] [--visitors 16] [--new-visitors 1/s] [--encodings br/gzip/identity] [--sample-seconds auto] [--env NAME=VALUE ...] [--without SLICE ...]',
  )
  process.exit(0)
}
const minutes = Number(args.minutes)
// A short run still needs enough points for a slope: one a minute from 10 minutes up.
const sampleSeconds = Number(args['sample-seconds'] ?? Math.min(60, Math.max(5, (minutes * 60) / 12)))
const MIB = 1024 * 1024
const mib = (bytes: number) => Math.round((bytes / MIB) * 10) / 10
const mibOrDash = (bytes: number | null) => (bytes === null ? '—' : mib(bytes))

interface Row extends MemorySample {
  readonly minute: number
}

/** Least-squares slope of `y` over `x`. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length
  if (n < 2) return Number.NaN
  const mx = points.reduce((s, p) => s + p.x, 0) / n
  const my = points.reduce((s, p) => s + p.y, 0) / n
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0)
  return points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx
}

async function freePort(): Promise<number> {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const { port } = probe
  probe.stop(true)
  return port
}

const dir = mkdtempSync(join(tmpdir(), 'ironstar-soak-'))
const port = await freePort()
const origin = `http://127.0.0.1:${port}`
let answer: ((sample: MemorySample) => void) | null = null
const without = args.without.flatMap((name) => ['--without', name])
const child = Bun.spawn([process.execPath, join(import.meta.dir, 'server.ts'), ...without], {
  // Production, as deployed: request lines logged, analytics in a DuckDB file.
  env: {
    ...sqliteEnv(),
    DATA_DIR: dir,
    IRONSTAR_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_ORIGIN: origin,
    RATE_LIMIT_PER_SESSION: '0',
    RATE_LIMIT_PER_IP: '0',
    // Settings to compare, e.g. `--env ANALYTICS_MEMORY_LIMIT=32MB --env MALLOC_ARENA_MAX=2`.
    ...Object.fromEntries(
      args.env.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    ),
  },
  stdin: 'ignore',
  stdout: 'pipe',
  stderr: 'inherit',
  ipc: (message) => answer?.(message as MemorySample),
})
const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader()
let first = ''
while (!first.includes('\n')) {
  const { done, value } = await lines.read()
  if (done) throw new Error('The soak server exited before it listened')
  first += value
}
// The request log goes nowhere, but must be read so the pipe never fills.
void (async () => {
  while (!(await lines.read()).done) {}
})()

const sample = (): Promise<MemorySample> =>
  new Promise((resolve) => {
    answer = resolve
    child.send('sample')
  })

const churn = new Churn({
  origin,
  feeds: Number(args.feeds),
  commandsPerSecond: Number(args.rate),
  visitors: Number(args.visitors),
  newVisitorsPerSecond: Number(args['new-visitors']),
  // Slash-separated, as commas belong to one Accept-Encoding value: `br/identity/gzip, br`.
  encodings: args.encodings?.split('/'),
})
console.log(
  `Soak: ${minutes} min, ${args.feeds} feeds churning, ${args.rate} commands/s, ${args['new-visitors']} new visitors/s, a sample every ${sampleSeconds} s${
    args.env.length > 0 ? `, ${args.env.join(' ')}` : ''
  }${args.without.length > 0 ? `, without ${args.without.join(', ')}` : ''}; load ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
)
const started = performance.now()
const rows: Row[] = [{ minute: 0, ...(await sample()) }]
await churn.start()
for (let next = sampleSeconds; next <= minutes * 60 + 0.001; next += sampleSeconds) {
  await Bun.sleep(Math.max(0, started + next * 1000 - performance.now()))
  if (child.exitCode !== null) throw new Error(`The soak server exited with ${child.exitCode}`)
  const row: Row = { minute: next / 60, ...(await sample()) }
  rows.push(row)
  // Progress as it goes, so a long run shows its trend before the table.
  console.error(
    `  ${row.minute.toFixed(2)} min: RSS ${mib(row.rssBytes)} MiB, heap ${mib(row.heapBytes)} MiB, SQLite ${mib(row.sqliteBytes)} MiB, ${row.position} events`,
  )
}
await churn.stop()

printTable(
  rows.map((row) => ({
    min: Math.round(row.minute * 100) / 100,
    'RSS MiB': mib(row.rssBytes),
    'heap MiB': mib(row.heapBytes),
    'RSS after GC': mib(row.rssAfterGcBytes),
    'heap after GC': mib(row.heapAfterGcBytes),
    'objects after GC': row.objectsAfterGc,
    'extra MiB': mib(row.extraAfterGcBytes),
    'DuckDB MiB': mibOrDash(row.duckdbBytes),
    'DuckDB alloc': mibOrDash(row.duckdbAllocatedBytes),
    'DuckDB resident': mibOrDash(row.duckdbResidentBytes),
    'glibc in use': mibOrDash(row.glibcInUseBytes),
    'RSS files': mibOrDash(row.rssFileBytes),
    'SQLite MiB': mib(row.sqliteBytes),
    feeds: row.sseConnections,
    events: row.position,
  })),
)
const window = Math.min(20, (minutes * 2) / 3)
const tail = rows.filter((row) => row.minute >= minutes - window - 1e-9)
const fit = (field: keyof MemorySample) =>
  tail.some((row) => row[field] === null)
    ? '—'
    : Math.round(slope(tail.map((row) => ({ x: row.minute, y: (row[field] as number) / MIB }))) * 100) / 100
printTable([
  {
    [`slope over the last ${Math.round(window * 10) / 10} min`]: 'MiB/min',
    RSS: fit('rssBytes'),
    heap: fit('heapBytes'),
    'RSS after GC': fit('rssAfterGcBytes'),
    'heap after GC': fit('heapAfterGcBytes'),
    DuckDB: fit('duckdbBytes'),
    'DuckDB alloc': fit('duckdbAllocatedBytes'),
    'DuckDB resident': fit('duckdbResidentBytes'),
    'glibc in use': fit('glibcInUseBytes'),
    'RSS files': fit('rssFileBytes'),
    SQLite: fit('sqliteBytes'),
  },
])
// The object types that grew most from the first sample of the fitted window to the last.
const [from, to] = [tail[0]?.typesAfterGc ?? {}, rows.at(-1)?.typesAfterGc ?? {}]
const grown = Object.entries(to)
  .map(([type, count]) => ({ type, grew: count - (from[type] ?? 0), now: count }))
  .sort((a, b) => b.grew - a.grew)
  .slice(0, 6)
printTable(
  grown.map(({ type, grew, now }) => ({ 'object type': type, 'grew over the window': grew, 'live at the end': now })),
)
const { feedsOpened, feedBytes, commands, newVisitors, errors } = churn.counts
console.log(
  `feeds opened ${feedsOpened} (${mib(feedBytes)} MiB read), commands by status ${JSON.stringify(commands)}, new visitors ${newVisitors}, client errors ${errors}`,
)
child.kill('SIGTERM')
await child.exited
rmSync(dir, { recursive: true, force: true })

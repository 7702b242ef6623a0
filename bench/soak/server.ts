/**
 * The real app in a child process for the soak (on PORT), less the slices named by `--without`:
 * prints one JSON line with its URL, then answers
 * each `sample` message on the IPC channel with its memory, read before and after a full
 * collection, so the parent can tell retained JavaScript objects from native and allocator memory.
 */
import { heapStats } from 'bun:jsc'
import { parseArgs } from 'node:util'
import { slices as appSlices } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { analyticsService } from '../../src/features/analytics/service.ts'
import { startServer } from '../../src/server.ts'
import { duckdbAllocator, glibcInUse } from './native-memory.ts'

export interface MemorySample {
  /** Resident set size as the process runs (no collection forced). */
  readonly rssBytes: number
  /** The JavaScript heap in use as it runs. */
  readonly heapBytes: number
  /** After `Bun.gc(true)`: what is really retained. */
  readonly rssAfterGcBytes: number
  readonly heapAfterGcBytes: number
  readonly objectsAfterGc: number
  /** Live objects by type after the collection: what grows names what is retained. */
  readonly typesAfterGc: Readonly<Record<string, number>>
  /** Memory JavaScript objects hold outside the heap (buffers, native wrappers), after the collection. */
  readonly extraAfterGcBytes: number
  /** What DuckDB's buffer manager holds (analytics), as `duckdb_memory()` reports it; null without analytics. */
  readonly duckdbBytes: number | null
  /** All DuckDB allocates, buffer manager or not, and what its allocator keeps resident; null off Linux or without analytics. */
  readonly duckdbAllocatedBytes: number | null
  readonly duckdbResidentBytes: number | null
  /** glibc's malloc in use: DuckDB's C++ objects and the binding's; null without glibc. */
  readonly glibcInUseBytes: number | null
  /** RSS that is mapped files (the executable's and libduckdb's code as it is paged in), not allocations; null off Linux. */
  readonly rssFileBytes: number | null
  /** The SQLite file's pages (what its page cache fills with, up to SQLITE_CACHE_MB). */
  readonly sqliteBytes: number
  readonly sseConnections: number
  readonly position: number
}

const { values: args } = parseArgs({ options: { without: { type: 'string', multiple: true, default: [] } } })
const unknown = args.without.filter((name) => !appSlices.some((slice) => slice.name === name))
if (unknown.length > 0) throw new Error(`No slice named ${unknown.join(', ')}`)
const slices = appSlices.filter((slice) => !args.without.includes(slice.name))
// Without the slice no DuckDB database is opened (libduckdb's code is still mapped, as src/app.ts imports it).
const withAnalytics = slices.some((slice) => slice.name === 'analytics')
const server = await startServer(loadConfig(process.env), { slices })

async function duckdbBytes(): Promise<number | null> {
  if (!withAnalytics) return null
  const { analytics } = server.app.resource(analyticsService)
  const result = await analytics.db.query('SELECT sum(memory_usage_bytes)::DOUBLE AS bytes FROM duckdb_memory()')
  return Number(result.rows[0]?.[0] ?? 0)
}

async function rssFileBytes(): Promise<number | null> {
  const status = await Bun.file('/proc/self/status')
    .text()
    .catch(() => '')
  const kib = status.match(/^RssFile:\s+(\d+) kB/m)?.[1]
  return kib === undefined ? null : Number(kib) * 1024
}

function sqliteBytes(): number {
  const { db } = server.app
  const pages = db.query<{ page_count: number }, []>('PRAGMA page_count').get()?.page_count ?? 0
  return pages * (db.query<{ page_size: number }, []>('PRAGMA page_size').get()?.page_size ?? 0)
}

process.on('message', async (message) => {
  if (message !== 'sample') return
  const duckdb = await duckdbBytes()
  const before = { rssBytes: process.memoryUsage.rss(), heapBytes: heapStats().heapSize }
  Bun.gc(true)
  const after = heapStats()
  const allocator = withAnalytics ? duckdbAllocator() : null
  const sample: MemorySample = {
    ...before,
    rssAfterGcBytes: process.memoryUsage.rss(),
    heapAfterGcBytes: after.heapSize,
    objectsAfterGc: after.objectCount,
    typesAfterGc: after.objectTypeCounts,
    extraAfterGcBytes: after.extraMemorySize,
    duckdbBytes: duckdb,
    duckdbAllocatedBytes: allocator?.allocatedBytes ?? null,
    duckdbResidentBytes: allocator?.residentBytes ?? null,
    glibcInUseBytes: glibcInUse(),
    rssFileBytes: await rssFileBytes(),
    sqliteBytes: sqliteBytes(),
    sseConnections: server.app.feeds.counters().connections,
    position: server.app.bus.position,
  }
  process.send?.(sample)
})
// A soak whose parent died must not leave its server running.
process.on('disconnect', () => process.exit(0))
process.on('SIGTERM', async () => {
  await server.stop()
  process.exit(0)
})

console.log(JSON.stringify({ url: server.url.href }))

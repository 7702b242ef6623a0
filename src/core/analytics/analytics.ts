import type { DuckDBValue } from '@duckdb/node-api'
import type { BroadcastRing } from '../eventsourcing/bus.ts'
import type { EventStore } from '../eventsourcing/store/event-store.ts'
import { createLogger, type Logger } from '../ops/log.ts'
import { MetricsRegistry } from '../ops/metrics.ts'
import { AnalyticsDb, type AnalyticsDbOptions } from './analytics-db.ts'
import { COMMAND_SAMPLES, COMMANDS_TABLE, CommandSamples } from './command-samples.ts'
import { createTables, type DerivedTable, EVENTS_TABLE } from './event-tables.ts'
import { EventIngestion, type IngestedBatch } from './ingestion.ts'
import type { QueryResult } from './query-result.ts'
import { ResultCache, type ResultCacheOptions } from './result-cache.ts'

export interface AnalyticsOptions extends AnalyticsDbOptions {
  /** Typed tables derived from `events` (slices declare them). */
  tables?: readonly DerivedTable[]
  cache?: ResultCacheOptions<QueryResult>
  /** Events per bus batch and per page read from the store at most. @default 4096 */
  batchSize?: number
  /** Events catch-up writes in one DuckDB transaction, across pages. @default 262144 */
  transactionEvents?: number
  /** Ingest each batch as packed column strings (default) or value by value (the bench's comparison). */
  packed?: boolean
  /** The server's metrics registry. @default a registry of its own */
  metrics?: MetricsRegistry
  /** The server's logger. @default JSON to stdout/stderr */
  log?: Logger
}

/**
 * The analytics service the server starts once: the sandboxed DuckDB database, the ingestion
 * projection that follows the event log, command latency samples and the result cache that
 * events evict. `onBatch` listeners (dashboard feeds) hear about every ingested batch.
 */
export class Analytics {
  #uncollect: () => void = () => {}

  private constructor(
    readonly db: AnalyticsDb,
    readonly ingestion: EventIngestion,
    readonly commandSamples: CommandSamples,
    readonly cache: ResultCache<QueryResult>,
    readonly sampleViews: readonly string[],
    private readonly listeners: Set<(batch: IngestedBatch) => void>,
  ) {}

  static async start(store: EventStore, bus: BroadcastRing, options: AnalyticsOptions = {}): Promise<Analytics> {
    const { tables = [], cache: cacheOptions, batchSize, transactionEvents, packed } = options
    const { metrics = new MetricsRegistry(), log = createLogger() } = options
    const all = [EVENTS_TABLE, COMMANDS_TABLE, ...tables]
    const db = await AnalyticsDb.open({ ...options, exploreTables: all }, (writer) => createTables(writer, all))
    const cache = new ResultCache<QueryResult>({ sizeOf: (result) => result.bytes, ...cacheOptions })
    const listeners = new Set<(batch: IngestedBatch) => void>()
    const ingestion = new EventIngestion(db.writer, store, bus, {
      tables,
      ...(batchSize ? { batchSize } : {}),
      ...(transactionEvents ? { transactionEvents } : {}),
      ...(packed === undefined ? {} : { packed }),
      registry: metrics,
      log,
      onBatch: (batch) => {
        cache.evictFor(batch.types)
        notify(listeners, batch, log)
      },
    })
    const samples = new CommandSamples(await db.connect(), { log, onFlush: () => cache.evictFor([COMMAND_SAMPLES]) })
    const analytics = new Analytics(db, ingestion, samples, cache, db.explore.sampleViews, listeners)
    await ingestion.start()
    analytics.#uncollect = collectMetrics(analytics, metrics)
    return analytics
  }

  /** A server-written query through the cache; `dependsOn` names the event types it reads. */
  cachedQuery(sql: string, dependsOn: readonly string[], params: readonly DuckDBValue[] = []): Promise<QueryResult> {
    return this.cache.getOrCompute(ResultCache.key(sql, params), dependsOn, () => this.db.query(sql, { params }))
  }

  onBatch(listener: (batch: IngestedBatch) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async close(): Promise<void> {
    this.#uncollect()
    await this.ingestion.stop()
    await this.commandSamples.close()
    await this.db.close()
  }
}

function notify(listeners: ReadonlySet<(batch: IngestedBatch) => void>, batch: IngestedBatch, log: Logger): void {
  for (const listener of listeners) {
    try {
      listener(batch)
    } catch (error) {
      log.error('Analytics batch listener failed', { error })
    }
  }
}

/** Scrape-time gauges and counters on /metrics; nothing is counted on the ingestion path itself. */
function collectMetrics(analytics: Analytics, metrics: MetricsRegistry): () => void {
  const cache = () => analytics.cache.counters()
  const removers = [
    metrics.collect('ironstar_analytics_position', 'gauge', () => [{ value: analytics.ingestion.position }], {
      help: 'Global position of the last event ingested into DuckDB',
    }),
    metrics.collect('ironstar_analytics_cache_entries', 'gauge', () => [{ value: cache().size }], {
      help: 'Query results held in the analytics result cache',
    }),
    metrics.collect('ironstar_analytics_cache_bytes', 'gauge', () => [{ value: cache().bytes }], {
      help: 'Size of the query results held in the analytics result cache, in characters of JSON',
    }),
    metrics.collect(
      'ironstar_analytics_cache_lookups_total',
      'counter',
      () => [
        { labels: { result: 'hit' }, value: cache().hits },
        { labels: { result: 'miss' }, value: cache().misses },
      ],
      { help: 'Analytics result cache lookups' },
    ),
    metrics.collect('ironstar_analytics_cache_evictions_total', 'counter', () => [{ value: cache().evictions }], {
      help: 'Cached analytics results evicted by events of the types they read',
    }),
    metrics.collect(
      'ironstar_analytics_command_samples_dropped_total',
      'counter',
      () => [{ value: analytics.commandSamples.dropped }],
      { help: 'Command latency samples dropped: the buffer was full, or writing them failed' },
    ),
  ]
  return () => {
    for (const remove of removers) remove()
  }
}

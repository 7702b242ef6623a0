import type { Analytics } from '../../core/analytics/analytics.ts'
import { COMMAND_SAMPLES } from '../../core/analytics/command-samples.ts'
import type { QueryResult } from '../../core/analytics/query-result.ts'
import { ANY_EVENT } from '../../core/analytics/result-cache.ts'
import { TODO_EVENT_TYPES } from './tables.ts'

export interface DashboardQuery {
  readonly id: string
  readonly title: string
  readonly sql: string
  /** Event types whose arrival makes the cached result stale. */
  readonly dependsOn: readonly string[]
  /** How the chart draws it: x column, series columns (or a column that splits series). */
  readonly chart: {
    readonly kind: 'line' | 'bars'
    readonly x: string
    readonly y: readonly string[]
    readonly seriesBy?: string
  }
}

/** The window every dashboard chart shows. */
export const WINDOW_MINUTES = 60

// Every minute of the window, so a quiet minute draws as zero instead of being skipped.
const MINUTES = `minutes AS (SELECT unnest(generate_series(CAST($1 AS TIMESTAMP),
  CAST($1 AS TIMESTAMP) + INTERVAL ${WINDOW_MINUTES - 1} minute, INTERVAL 1 minute)) AS minute)`

export const DASHBOARD_QUERIES: readonly DashboardQuery[] = [
  {
    id: 'events-per-minute',
    title: 'Events per minute by type',
    sql: `WITH ${MINUTES},
      counts AS (SELECT date_trunc('minute', created_at) AS minute, type, count(*) AS events
        FROM events WHERE created_at >= CAST($1 AS TIMESTAMP) GROUP BY ALL),
      types AS (SELECT DISTINCT type FROM counts)
      SELECT minute, type, coalesce(events, 0) AS events
      FROM minutes CROSS JOIN types LEFT JOIN counts USING (minute, type) ORDER BY minute, type`,
    dependsOn: [ANY_EVENT],
    chart: { kind: 'line', x: 'minute', y: ['events'], seriesBy: 'type' },
  },
  {
    id: 'commands-per-slice',
    title: 'Commands per slice',
    sql: `SELECT stream_type AS slice, count(*) FILTER (outcome = 'ok') AS accepted,
        count(*) FILTER (outcome <> 'ok') AS refused
      FROM commands WHERE recorded_at >= CAST($1 AS TIMESTAMP) GROUP BY ALL ORDER BY accepted DESC, slice LIMIT 20`,
    dependsOn: [COMMAND_SAMPLES],
    chart: { kind: 'bars', x: 'slice', y: ['accepted', 'refused'] },
  },
  {
    id: 'todo-completion',
    title: 'Todos added and completed per minute',
    sql: `WITH ${MINUTES},
      changes AS (SELECT date_trunc('minute', changed_at) AS minute,
          sum(affected) FILTER (change = 'added') AS added,
          sum(affected) FILTER (change IN ('completed', 'all-completed')) AS completed
        FROM todo_lifecycle WHERE changed_at >= CAST($1 AS TIMESTAMP) GROUP BY ALL)
      SELECT minute, coalesce(added, 0) AS added, coalesce(completed, 0) AS completed
      FROM minutes LEFT JOIN changes USING (minute) ORDER BY minute`,
    dependsOn: TODO_EVENT_TYPES,
    chart: { kind: 'line', x: 'minute', y: ['added', 'completed'] },
  },
  {
    id: 'command-latency',
    title: 'Command latency (ms), p50 and p99',
    // Exact quantiles sort every sample (hundreds of ms over a million); a log-scale histogram
    // with 16 buckets per doubling groups them instead and is within about 2% of exact.
    sql: `WITH buckets AS (
        SELECT stream_type AS slice, CAST(round(log2(greatest(duration_ms, 0.001)) * 16) AS INTEGER) AS bucket,
          count(*) AS n
        FROM commands WHERE recorded_at >= CAST($1 AS TIMESTAMP) GROUP BY ALL),
      running AS (SELECT slice, bucket, sum(n) OVER (PARTITION BY slice ORDER BY bucket) AS below,
          sum(n) OVER (PARTITION BY slice) AS total FROM buckets)
      SELECT slice, max(total) AS commands,
        round(pow(2, min(bucket) FILTER (below >= 0.5 * total) / 16.0), 3) AS p50_ms,
        round(pow(2, min(bucket) FILTER (below >= 0.99 * total) / 16.0), 3) AS p99_ms
      FROM running GROUP BY slice ORDER BY commands DESC, slice LIMIT 20`,
    dependsOn: [COMMAND_SAMPLES],
    chart: { kind: 'bars', x: 'slice', y: ['p50_ms', 'p99_ms'] },
  },
]

/**
 * The window's start, rounded down to the minute: the parameter (so the cache key) stays the
 * same for a minute, and the cache's event eviction keeps the answer fresh within it.
 */
export function windowStart(nowMs: number): string {
  return new Date(Math.floor(nowMs / 60_000) * 60_000 - (WINDOW_MINUTES - 1) * 60_000).toISOString()
}

export interface DashboardData {
  readonly query: DashboardQuery
  readonly result: QueryResult | null
  readonly error: string | null
}

export async function loadDashboard(analytics: Analytics, nowMs: number): Promise<DashboardData[]> {
  const since = windowStart(nowMs)
  return Promise.all(
    DASHBOARD_QUERIES.map(async (query) => {
      try {
        return { query, result: await analytics.cachedQuery(query.sql, query.dependsOn, [since]), error: null }
      } catch (error) {
        return { query, result: null, error: error instanceof Error ? error.message : String(error) }
      }
    }),
  )
}

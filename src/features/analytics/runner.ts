import type { Analytics } from '../../core/analytics/analytics.ts'
import { AnalyticsQueryError } from '../../core/analytics/query-errors.ts'
import type { QueryResult } from '../../core/analytics/query-result.ts'
import { ResultCache } from '../../core/analytics/result-cache.ts'
import type { AppContext } from '../../core/app-context.ts'
import { OverloadedError, ValidationError } from '../../core/errors.ts'
import type { Logger } from '../../core/ops/log.ts'
import { type QueryCommand, queryDecider, queryStream } from './domain.ts'

/** Queries running at once across all visitors; more are refused with 503. */
export const MAX_RUNNING = 8
/** Results kept in memory for display (each within the row and size limits). */
export const MAX_RESULTS = 20
/** Their total size at most, in characters of JSON: eight results at the 4 MiB limit. */
export const MAX_RESULT_BYTES = 32 * 1024 * 1024

/** A place among the running queries, held from before the query is recorded until it runs. */
export interface QuerySlot {
  /** Runs the query in this place; resolves when its outcome has been recorded (tests await it). */
  start(app: AppContext, queryId: string, sql: string): Promise<void>
  /** Gives the place back without running (the query was refused or could not be recorded). */
  release(): void
}

interface Running {
  readonly controller: AbortController
  readonly startedAt: number
  progress: () => number
}

/**
 * Runs explore-page queries in the background and reports each outcome to its QuerySession
 * as a command. Results are kept in a small LRU, not in events: events record that a query
 * ran (rows, duration), the rows themselves are a cache you can recompute by running it again.
 */
export class QueryRunner {
  readonly #analytics: Analytics
  readonly #log: Logger
  readonly #running = new Map<string, Running>()
  readonly #results = new ResultCache<QueryResult>({
    maxEntries: MAX_RESULTS,
    maxBytes: MAX_RESULT_BYTES,
    ttlMs: Number.POSITIVE_INFINITY,
    idleMs: Number.POSITIVE_INFINITY,
    sizeOf: (result) => result.bytes,
  })
  #reserved = 0

  constructor(analytics: Analytics, log: Logger) {
    this.#analytics = analytics
    this.#log = log
  }

  get runningCount(): number {
    return this.#running.size
  }

  /**
   * Takes a place, synchronously, or refuses with 503. Callers reserve before they record the
   * query, so a refused request leaves no QueryRequested behind, however many arrive at once.
   */
  reserve(): QuerySlot {
    const taken = this.#running.size + this.#reserved
    if (taken >= MAX_RUNNING) {
      throw new OverloadedError(`Cannot run query: ${taken} queries are already running, try again shortly`)
    }
    this.#reserved++
    let held = true
    const release = () => {
      if (held) this.#reserved--
      held = false
    }
    return {
      release,
      start: (app, queryId, sql) => {
        if (!held) throw new Error('Cannot start query: its place was given back')
        const running: Running = { controller: new AbortController(), startedAt: performance.now(), progress: () => -1 }
        this.#running.set(queryId, running)
        release()
        return this.#execute(app, queryId, sql, running).finally(() => this.#running.delete(queryId))
      },
    }
  }

  isRunning(queryId: string): boolean {
    return this.#running.has(queryId)
  }

  result(queryId: string): QueryResult | undefined {
    return this.#results.get(queryId)
  }

  /** DuckDB's own estimate (0–100), or null when it has none yet. */
  progress(queryId: string): number | null {
    const percentage = this.#running.get(queryId)?.progress() ?? -1
    return percentage >= 0 ? Math.round(percentage) : null
  }

  elapsedMs(queryId: string, now = performance.now()): number | null {
    const running = this.#running.get(queryId)
    return running ? now - running.startedAt : null
  }

  cancel(queryId: string): void {
    this.#running.get(queryId)?.controller.abort()
  }

  async #execute(app: AppContext, queryId: string, sql: string, running: Running): Promise<void> {
    let outcome: QueryCommand
    const at = () => new Date().toISOString()
    try {
      const result = await this.#analytics.db.queryUntrusted(sql, {
        signal: running.controller.signal,
        onStart: (connection) => {
          running.progress = () => connection.progress.percentage
        },
      })
      this.#results.set(queryId, result, [])
      const durationMs = Math.round(result.durationMs * 100) / 100
      outcome = { type: 'CompleteQuery', rows: result.rows.length, truncated: result.truncated, durationMs, at: at() }
    } catch (error) {
      if (error instanceof AnalyticsQueryError && error.reason === 'cancelled')
        outcome = { type: 'CancelQuery', at: at() }
      else if (
        error instanceof AnalyticsQueryError ||
        error instanceof ValidationError ||
        error instanceof OverloadedError
      ) {
        outcome = { type: 'FailQuery', message: error.message, at: at() }
      } else {
        this.#log.error('Analytics query failed unexpectedly', { queryId, error })
        outcome = { type: 'FailQuery', message: 'The query failed unexpectedly; the server log has details', at: at() }
      }
    }
    try {
      await app.commands.handle(queryDecider, queryStream(queryId), outcome)
    } catch (error) {
      this.#log.error('Cannot record the outcome of an analytics query', { queryId, error })
    }
  }
}

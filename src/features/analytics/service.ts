import { join } from 'node:path'
import { Analytics } from '../../core/analytics/analytics.ts'
import { resolveSamplesDir } from '../../core/analytics/samples-dir.ts'
import type { AppContext } from '../../core/app-context.ts'
import { defineResource } from '../../core/runtime.ts'
import { DashboardModel } from './dashboard-model.ts'
import { QueryRunner } from './runner.ts'
import { todoLifecycle } from './tables.ts'

/** What the analytics slice runs for as long as its server: DuckDB, the query runner, the dashboard's model. */
export interface AnalyticsRuntime {
  readonly analytics: Analytics
  readonly runner: QueryRunner
  readonly dashboard: DashboardModel
  /** Stops sampling command latency into DuckDB. */
  readonly unobserve: () => void
}

/**
 * Opened by the server before it listens (so every command's latency is sampled from the
 * first), stopped at shutdown after the feeds and the store's queue. Handlers reach it with
 * `analyticsOf(ctx)`.
 */
export const analyticsService = defineResource<AnalyticsRuntime>({
  name: 'analytics-duckdb',
  async start(app) {
    const { config } = app
    const analytics = await Analytics.start(app.store, app.bus, {
      path: config.env === 'test' ? ':memory:' : join(config.dataDir, 'analytics.duckdb'),
      samplesDir: await resolveSamplesDir(config.dataDir),
      tables: [todoLifecycle],
      metrics: app.metrics,
      log: app.log,
      ...config.analytics,
    })
    return {
      analytics,
      runner: new QueryRunner(analytics, app.log),
      dashboard: new DashboardModel(analytics),
      unobserve: app.commands.onOutcome(analytics.commandSamples.record),
    }
  },
  async stop({ analytics, unobserve }) {
    unobserve()
    await analytics.close()
  },
  // /readyz compares this with the log's head: DuckDB is ready once ingestion has caught up.
  position: ({ analytics }) => analytics.ingestion.position,
  failures: ({ analytics }) => analytics.ingestion.failures,
})

export const analyticsOf = (ctx: { readonly app: AppContext }): AnalyticsRuntime => ctx.app.resource(analyticsService)

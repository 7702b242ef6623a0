import { join } from 'node:path'
import { Analytics } from '../../core/analytics/analytics.ts'
import { observeCommandSample } from '../../core/analytics/command-samples.ts'
import { resolveSamplesDir } from '../../core/analytics/samples-dir.ts'
import type { AppContext } from '../../core/app-context.ts'
import type { SliceProjection } from '../../core/slice.ts'
import { todoLifecycle } from './tables.ts'

let opening: Promise<Analytics> | null = null
let started: Analytics | null = null

/**
 * The DuckDB service lives as long as the server: the router hands the slice its AppContext
 * (with the config: data directory, limits), which opens it; the server stops it with the
 * slice's projections at shutdown. Handlers await `analyticsService()`.
 */
export function openAnalytics(app: AppContext): void {
  if (opening) return
  const { config } = app
  opening = resolveSamplesDir(config.dataDir).then((samplesDir) =>
    Analytics.start(app.store, app.bus, {
      path: config.env === 'test' ? ':memory:' : join(config.dataDir, 'analytics.duckdb'),
      samplesDir,
      tables: [todoLifecycle],
      ...config.analytics,
    }),
  )
  opening.then(
    (analytics) => {
      started = analytics
    },
    (error: unknown) => console.error('Cannot start analytics', error),
  )
}

/** The open service, for synchronous renders (a refused form); null while it starts. */
export function currentAnalytics(): Analytics | null {
  return started
}

export function analyticsService(): Promise<Analytics> {
  if (!opening) return Promise.reject(new Error('Cannot query analytics: the service is not open'))
  return opening
}

/** Stops the service with the other projections; `start` is a no-op because opening needs the config. */
export const analyticsLifecycle: SliceProjection = {
  name: 'analytics-duckdb',
  // /readyz compares this with the log's head: DuckDB is ready once ingestion has caught up.
  get position() {
    return started?.ingestion.position ?? 0
  },
  get isRunning() {
    return started !== null
  },
  async start() {},
  async stop() {
    const closing = opening
    opening = null
    started = null
    if (closing) await (await closing.catch(() => null))?.close()
  },
}

export { observeCommandSample }

import type { Analytics } from '../../core/analytics/analytics.ts'
import { type WaitOptions, Watermark } from '../../core/eventsourcing/watermark.ts'
import { type DashboardData, loadDashboard } from './dashboard-queries.ts'

export interface DashboardSnapshot {
  readonly data: readonly DashboardData[]
  /** The global position the data reflects (DuckDB had ingested up to here). */
  readonly position: number
}

export interface DashboardModelOptions {
  /** At most one refresh per this interval, however fast events arrive. @default 1000 */
  intervalMs?: number
  now?: () => number
}

/**
 * The dashboard's read model for the feed: a snapshot of every chart's data, refreshed from
 * DuckDB at most once a second. It is the feed's view source: the feed waits for it to reach an
 * event's position, and events arriving while it waits are coalesced into the next refresh, so
 * a burst of events costs one set of (mostly cached) queries and one render per second.
 */
export class DashboardModel {
  readonly #analytics: Analytics
  readonly #intervalMs: number
  readonly #now: () => number
  #snapshot: DashboardSnapshot = { data: [], position: 0 }
  /** The snapshot's position, and the one rule for waiting on it (timeout, abort). */
  readonly #watermark = new Watermark('the dashboard')
  #lastRefresh = Number.NEGATIVE_INFINITY
  #refreshing: Promise<DashboardSnapshot> | null = null
  #refreshes = 0

  constructor(analytics: Analytics, options: DashboardModelOptions = {}) {
    const { intervalMs = 1000, now = Date.now } = options
    this.#analytics = analytics
    this.#intervalMs = intervalMs
    this.#now = now
    this.#watermark.open()
  }

  get snapshot(): DashboardSnapshot {
    return this.#snapshot
  }

  /** How many times the data was loaded (tests check the debounce with it). */
  get refreshes(): number {
    return this.#refreshes
  }

  get position(): number {
    return this.#snapshot.position
  }

  /** The data at least as new as `position`, refreshing now if needed (page renders). */
  async current(position = 0): Promise<DashboardSnapshot> {
    if (this.#snapshot.data.length > 0 && this.#snapshot.position >= position) return this.#snapshot
    return this.#refresh(position, false)
  }

  /** For the feed: resolves once a (debounced) refresh covers `position`; a failed refresh rejects. */
  async waitFor(position: number, options: WaitOptions = {}): Promise<void> {
    const done = new AbortController() // a refresh that fails first leaves the wait at once
    const signal = options.signal ? AbortSignal.any([options.signal, done.signal]) : done.signal
    const reached = this.#watermark.waitFor(position, { ...options, signal })
    reached.catch(() => undefined) // raced below; a refresh that fails first is the error to report
    try {
      while (this.#snapshot.position < position) await Promise.race([this.#refresh(position, true), reached])
    } finally {
      done.abort()
    }
  }

  #refresh(position: number, debounce: boolean): Promise<DashboardSnapshot> {
    this.#refreshing ??= this.#load(position, debounce).finally(() => {
      this.#refreshing = null
    })
    return this.#refreshing
  }

  async #load(position: number, debounce: boolean): Promise<DashboardSnapshot> {
    const wait = debounce ? this.#lastRefresh + this.#intervalMs - this.#now() : 0
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const analytics = this.#analytics
    // Queries read DuckDB, so first let ingestion catch up with the position asked for.
    await analytics.ingestion.waitFor(position)
    const covered = analytics.ingestion.position
    const data = await loadDashboard(analytics, this.#now())
    this.#refreshes++
    this.#lastRefresh = this.#now()
    if (covered >= this.#snapshot.position) {
      this.#snapshot = { data, position: covered }
      this.#watermark.advance(covered)
    }
    return this.#snapshot
  }
}

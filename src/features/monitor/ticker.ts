import { availableParallelism, loadavg } from 'node:os'
import type { AppContext } from '../../core/app-context.ts'
import type { BroadcastRing } from '../../core/bus.ts'
import type { RequestContext } from '../../core/http/context.ts'
import { metrics } from '../../core/metrics.ts'
import { encodePatch } from '../../core/sse/encode.ts'
import type { FeedConnection } from '../../core/sse/feed-connection.ts'
import { feedCounters, onFeedsClose, openFeedStream } from '../../core/sse.ts'
import { pushSample, type Reading, type Sample, toSample } from './samples.ts'
import { monitorRegion } from './views.ts'

const TICK_MS = 1_000
/** Sampling stops this long after the last page view once no feed is open. */
const IDLE_STOP_MS = 120_000
/** Monitor pages at most: each costs a write every second. */
const MAX_CONNECTIONS = 1_000

/**
 * The monitor is driven by the clock, not by events, so it cannot use an event feed: one
 * ticker per server samples once a second, renders the tiles once, and writes the same
 * encoded patch to every open monitor page (render once, send to many). It runs only while
 * someone is looking, and its history is bounded to the last minute. Its connections are the
 * core's feed streams, so the feed bounds, compression slots and keep-alive cover them too.
 */
export class MonitorTicker {
  readonly #app: AppContext
  readonly #connections = new Set<FeedConnection>()
  #history: Sample[] = []
  #previous: Reading | undefined
  #timer: ReturnType<typeof setInterval> | null = null
  #lastSeen = 0

  constructor(app: AppContext) {
    this.#app = app
    // Shutdown ends these streams with the event feeds; otherwise the server waits out its grace period.
    onFeedsClose(app, () => this.#stop())
  }

  get history(): readonly Sample[] {
    return this.#history
  }

  /** Called on a page view: makes sure sampling runs, with one fresh sample to show. */
  touch(): void {
    this.#lastSeen = Date.now()
    if (this.#timer) return
    this.#sample()
    this.#timer = setInterval(() => this.#tick(), TICK_MS)
    // Sampling must never keep a finished process alive.
    this.#timer.unref?.()
  }

  connect(req: Request, ctx: RequestContext): Response {
    if (this.#connections.size >= MAX_CONNECTIONS) return plain(503, 'Cannot open monitor feed: too many are open')
    const connection = openFeedStream(req, ctx, (ended) => this.#connections.delete(ended))
    if (connection instanceof Response) return connection
    this.touch()
    this.#connections.add(connection)
    connection.write(this.#encode())
    return connection.response
  }

  #tick(): void {
    if (this.#app.bus.isClosed || (this.#connections.size === 0 && Date.now() - this.#lastSeen > IDLE_STOP_MS)) {
      this.#stop()
      return
    }
    this.#sample()
    if (this.#connections.size === 0) return
    const bytes = this.#encode()
    for (const connection of this.#connections) connection.write(bytes)
  }

  #sample(): void {
    const reading = readNow(this.#app.bus)
    this.#history = pushSample(this.#history, toSample(this.#previous, reading))
    this.#previous = reading
  }

  #encode(): Uint8Array {
    return encodePatch(monitorRegion(this.#history).value, this.#app.bus.position)
  }

  #stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    for (const connection of this.#connections) connection.end('shutdown')
    this.#history = []
    this.#previous = undefined
  }
}

function plain(status: number, message: string): Response {
  return new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' } })
}

function readNow(bus: BroadcastRing): Reading {
  const memory = process.memoryUsage()
  const cpu = process.cpuUsage()
  return {
    at: Date.now(),
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    cpuMicros: cpu.user + cpu.system,
    load1: loadavg()[0] ?? 0,
    cores: availableParallelism(),
    uptimeSeconds: process.uptime(),
    sseConnections: feedCounters(bus).connections,
    position: bus.position,
    projectionLag: projectionLag(),
    laggedTotal: bus.counters().lagged,
  }
}

const LAG_SERIES = 'ironstar_projection_lag_events{'

/**
 * The largest lag over every projection. A slice cannot see other slices' projections, but
 * the server registers all of them with the metrics registry, so read it from there.
 */
function projectionLag(): number {
  let worst = 0
  for (const line of metrics.render().split('\n')) {
    if (!line.startsWith(LAG_SERIES)) continue
    const value = Number(line.slice(line.lastIndexOf(' ') + 1))
    if (Number.isFinite(value)) worst = Math.max(worst, value)
  }
  return worst
}

const tickers = new WeakMap<BroadcastRing, MonitorTicker>()

/** The ticker of a running server (one per bus). */
export function monitorTicker(app: AppContext): MonitorTicker {
  let ticker = tickers.get(app.bus)
  if (!ticker) {
    ticker = new MonitorTicker(app)
    tickers.set(app.bus, ticker)
  }
  return ticker
}

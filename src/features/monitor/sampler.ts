import { availableParallelism, loadavg } from 'node:os'
import type { AppContext } from '../../core/app-context.ts'
import { defineResource } from '../../core/runtime.ts'
import { pushSample, type Reading, type Sample, toSample } from './samples.ts'

const TICK_MS = 1_000
/** Sampling stops this long after the last look (a page view or a feed render). */
const IDLE_STOP_MS = 120_000

/**
 * The monitor's sampler: once a second it reads the process and this server's counters into a
 * history bounded to the last minute. It runs only while someone is looking; the monitor's
 * feed is an ordinary clock-driven feed that renders this history.
 */
export class MonitorSampler {
  readonly #app: AppContext
  #history: Sample[] = []
  #previous: Reading | undefined
  #timer: ReturnType<typeof setInterval> | null = null
  #lastSeen = 0

  constructor(app: AppContext) {
    this.#app = app
  }

  get history(): readonly Sample[] {
    return this.#history
  }

  /** Called on every look: makes sure sampling runs, with at least one sample to show. */
  touch(): void {
    this.#lastSeen = Date.now()
    if (this.#timer) return
    this.#sample()
    this.#timer = setInterval(() => this.#tick(), TICK_MS)
    // Sampling must never keep a finished process alive.
    this.#timer.unref?.()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.#history = []
    this.#previous = undefined
  }

  #tick(): void {
    if (Date.now() - this.#lastSeen > IDLE_STOP_MS) this.stop()
    else this.#sample()
  }

  #sample(): void {
    const reading = readNow(this.#app)
    this.#history = pushSample(this.#history, toSample(this.#previous, reading))
    this.#previous = reading
  }
}

function readNow(app: AppContext): Reading {
  const memory = process.memoryUsage()
  const cpu = process.cpuUsage()
  const head = app.bus.position
  return {
    at: Date.now(),
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    cpuMicros: cpu.user + cpu.system,
    load1: loadavg()[0] ?? 0,
    cores: availableParallelism(),
    uptimeSeconds: process.uptime(),
    sseConnections: app.feeds.counters().connections,
    position: head,
    // The slowest reader of the log: every projection, and analytics ingestion.
    projectionLag: Math.max(0, ...app.readers().map((reader) => head - reader.position)),
    laggedTotal: app.bus.counters().lagged,
  }
}

/** One sampler per server, stopped with it. */
export const monitorSampler = defineResource({
  name: 'monitor-sampler',
  start: (app) => new MonitorSampler(app),
  stop: (sampler) => sampler.stop(),
})

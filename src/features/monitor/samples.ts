/**
 * The monitor's numbers, as pure functions over readings taken once a second, so rates and
 * the last minute's history can be tested without a clock.
 */

/** What the sampler reads from the process and the core at one instant. */
export interface Reading {
  /** Epoch milliseconds. */
  readonly at: number
  readonly rssBytes: number
  readonly heapUsedBytes: number
  /** Process CPU time (user + system) so far, in microseconds. */
  readonly cpuMicros: number
  /** One-minute load average of the machine. */
  readonly load1: number
  readonly cores: number
  readonly uptimeSeconds: number
  readonly sseConnections: number
  /** The newest global position published on the bus. */
  readonly position: number
  /** Events the slowest projection has still to apply. */
  readonly projectionLag: number
  /** How many times a bus subscriber fell behind the ring since start. */
  readonly laggedTotal: number
}

export interface Sample extends Reading {
  /** Share of one core the process used since the previous reading (0–100 × cores). */
  readonly cpuPercent: number
  readonly eventsPerSecond: number
}

export const HISTORY_SECONDS = 60

/** Turns a reading into a sample, with rates over the time since the previous reading. */
export function toSample(previous: Reading | undefined, reading: Reading): Sample {
  const seconds = previous ? (reading.at - previous.at) / 1000 : 0
  if (!previous || seconds <= 0) return { ...reading, cpuPercent: 0, eventsPerSecond: 0 }
  const cpuSeconds = (reading.cpuMicros - previous.cpuMicros) / 1e6
  return {
    ...reading,
    cpuPercent: Math.max(0, (cpuSeconds / seconds) * 100),
    eventsPerSecond: Math.max(0, (reading.position - previous.position) / seconds),
  }
}

/** Appends and keeps only the newest `capacity` samples: the history never grows past it. */
export function pushSample(history: readonly Sample[], sample: Sample, capacity = HISTORY_SECONDS): Sample[] {
  const next = [...history, sample]
  return next.length > capacity ? next.slice(next.length - capacity) : next
}

export interface SparklineOptions {
  /** @default 120 */
  width?: number
  /** @default 28 */
  height?: number
  /** The value drawn at the top; @default the largest value (or 1 when all are 0) */
  max?: number
  /** The value drawn at the bottom. @default 0 */
  min?: number
}

/**
 * SVG `points` for a polyline of the values, newest on the right. Values are spread over
 * the full history width so the line scrolls in from the right as the minute fills up.
 */
export function sparklinePoints(values: readonly number[], options: SparklineOptions = {}): string {
  const { width = 120, height = 28, min = 0 } = options
  const max = Math.max(options.max ?? Math.max(1, ...values), min + 1e-9)
  const step = width / Math.max(1, HISTORY_SECONDS - 1)
  const offset = HISTORY_SECONDS - values.length
  return values
    .map((value, i) => {
      const x = (offset + i) * step
      const y = height - ((Math.min(Math.max(value, min), max) - min) / (max - min)) * height
      return `${round(x)},${round(y)}`
    })
    .join(' ')
}

const round = (n: number): number => Math.round(n * 10) / 10

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`
}

export function formatDuration(seconds: number): string {
  const s = Math.floor(seconds)
  const [d, h, m] = [Math.floor(s / 86_400), Math.floor((s % 86_400) / 3600), Math.floor((s % 3600) / 60)]
  if (d > 0) return `${d}d ${h}h`
  if (h > 0) return `${h}h ${m}m`
  if (m > 0) return `${m}m ${s % 60}s`
  return `${s}s`
}

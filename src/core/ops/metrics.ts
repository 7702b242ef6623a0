/**
 * A small, dependency-free metrics registry rendered in the Prometheus text exposition format (0.0.4).
 * Each server owns one (`app.metrics`), so two servers never share a counter; anyone may call
 * `app.metrics.counter('http_requests_total', { route, status }).inc()`. Label values must come
 * from a closed set (route patterns, not raw paths), and each metric keeps at most MAX_SERIES series.
 */

export type Labels = Readonly<Record<string, string | number>>
export type MetricType = 'counter' | 'gauge' | 'histogram'

export interface Counter {
  inc(by?: number): void
}
export interface Gauge {
  set(value: number): void
  inc(by?: number): void
  dec(by?: number): void
}
export interface Histogram {
  observe(value: number): void
}

export interface MetricOptions {
  help?: string
  /** Histogram upper bounds, ascending. @default DEFAULT_SECONDS_BUCKETS */
  buckets?: readonly number[]
}

/** A value computed at scrape time (SSE connections, projection lag): no bookkeeping on the hot path. */
export type Collector = () => ReadonlyArray<{ labels?: Labels; value: number }>

/** Latency buckets in seconds, from sub-millisecond commits to slow requests. */
export const DEFAULT_SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
] as const
const MAX_SERIES = 1_000
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/

interface Series {
  readonly labels: string
  value: number
  counts?: number[]
  sum?: number
}

interface Family {
  readonly type: MetricType
  readonly help: string
  readonly buckets: readonly number[]
  readonly series: Map<string, Series>
  readonly collectors: Set<Collector>
}

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"')
}

function renderLabels(labels: Labels | undefined, extra?: string): string {
  const parts = Object.entries(labels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}="${escapeLabel(String(value))}"`)
  if (extra) parts.push(extra)
  return parts.length > 0 ? `{${parts.join(',')}}` : ''
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

export class MetricsRegistry {
  readonly #families = new Map<string, Family>()
  #droppedSeries = 0

  counter(name: string, labels?: Labels, options: MetricOptions = {}): Counter {
    const series = this.#series(name, 'counter', labels, options)
    return {
      inc: (by = 1) => {
        if (series && by >= 0) series.value += by
      },
    }
  }

  gauge(name: string, labels?: Labels, options: MetricOptions = {}): Gauge {
    const series = this.#series(name, 'gauge', labels, options)
    return {
      set: (value) => {
        if (series) series.value = value
      },
      inc: (by = 1) => {
        if (series) series.value += by
      },
      dec: (by = 1) => {
        if (series) series.value -= by
      },
    }
  }

  histogram(name: string, labels?: Labels, options: MetricOptions = {}): Histogram {
    const series = this.#series(name, 'histogram', labels, options)
    const buckets = this.#families.get(name)?.buckets ?? []
    return {
      observe: (value) => {
        if (!series?.counts) return
        for (let i = 0; i < buckets.length; i++) if (value <= (buckets[i] as number)) series.counts[i]!++
        series.sum = (series.sum ?? 0) + value
        series.value++
      },
    }
  }

  /** Registers a scrape-time collector; returns the function that removes it (call it when its owner stops). */
  collect(name: string, type: 'counter' | 'gauge', collector: Collector, options: MetricOptions = {}): () => void {
    const family = this.#family(name, type, options)
    family.collectors.add(collector)
    return () => family.collectors.delete(collector)
  }

  /** Prometheus text format; serve it with PROMETHEUS_CONTENT_TYPE. */
  render(): string {
    const lines: string[] = []
    for (const [name, family] of [...this.#families].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`# HELP ${name} ${family.help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}`)
      lines.push(`# TYPE ${name} ${family.type}`)
      for (const series of family.series.values()) this.#renderSeries(lines, name, family, series)
      for (const collector of family.collectors) {
        for (const { labels, value } of collector()) lines.push(`${name}${renderLabels(labels)} ${formatValue(value)}`)
      }
    }
    lines.push('# HELP ironstar_metrics_dropped_series_total Series refused because a metric hit its series limit')
    lines.push('# TYPE ironstar_metrics_dropped_series_total counter')
    lines.push(`ironstar_metrics_dropped_series_total ${this.#droppedSeries}`)
    return `${lines.join('\n')}\n`
  }

  #renderSeries(lines: string[], name: string, family: Family, series: Series): void {
    if (family.type !== 'histogram') {
      lines.push(`${name}${series.labels} ${formatValue(series.value)}`)
      return
    }
    const inner = series.labels.slice(1, -1)
    const withLe = (le: string) => `{${inner ? `${inner},` : ''}le="${le}"}`
    family.buckets.forEach((bound, i) => {
      lines.push(`${name}_bucket${withLe(formatValue(bound))} ${series.counts?.[i] ?? 0}`)
    })
    lines.push(`${name}_bucket${withLe('+Inf')} ${series.value}`)
    lines.push(`${name}_sum${series.labels} ${series.sum ?? 0}`)
    lines.push(`${name}_count${series.labels} ${series.value}`)
  }

  #family(name: string, type: MetricType, options: MetricOptions): Family {
    if (!NAME.test(name)) throw new Error(`Cannot register metric "${name}": use letters, digits, _ and :`)
    const existing = this.#families.get(name)
    if (existing) {
      if (existing.type !== type) {
        throw new Error(`Cannot register metric "${name}" as a ${type}: it is already a ${existing.type}`)
      }
      return existing
    }
    const family: Family = {
      type,
      help: options.help ?? name.replaceAll('_', ' '),
      buckets: [...(options.buckets ?? DEFAULT_SECONDS_BUCKETS)].sort((a, b) => a - b),
      series: new Map(),
      collectors: new Set(),
    }
    this.#families.set(name, family)
    return family
  }

  #series(name: string, type: MetricType, labels: Labels | undefined, options: MetricOptions): Series | null {
    const family = this.#family(name, type, options)
    const key = renderLabels(labels)
    const found = family.series.get(key)
    if (found) return found
    if (family.series.size >= MAX_SERIES) {
      this.#droppedSeries++
      return null
    }
    const series: Series = { labels: key, value: 0 }
    if (type === 'histogram') {
      series.counts = family.buckets.map(() => 0)
      series.sum = 0
    }
    family.series.set(key, series)
    return series
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

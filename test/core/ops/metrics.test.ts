import { describe, expect, it } from 'bun:test'
import { MetricsRegistry } from '../../../src/core/ops/metrics.ts'

describe('MetricsRegistry', () => {
  it('renders counters and gauges with sorted, escaped labels in Prometheus text format', () => {
    const registry = new MetricsRegistry()
    registry.counter('jobs_total', { queue: 'mail', kind: 'a"b\\c\nd' }, { help: 'Jobs done' }).inc(2)
    registry.counter('jobs_total', { queue: 'mail', kind: 'a"b\\c\nd' }).inc()
    registry.gauge('workers').set(3)
    registry.gauge('workers').dec()
    const text = registry.render()
    expect(text).toContain('# HELP jobs_total Jobs done\n# TYPE jobs_total counter\n')
    expect(text).toContain('jobs_total{kind="a\\"b\\\\c\\nd",queue="mail"} 3\n')
    expect(text).toContain('# TYPE workers gauge\nworkers 2\n')
  })

  it('renders histograms with cumulative buckets, +Inf, sum and count', () => {
    const registry = new MetricsRegistry()
    const latency = registry.histogram('latency_seconds', { route: '/x' }, { buckets: [0.1, 1] })
    for (const value of [0.05, 0.5, 5]) latency.observe(value)
    const text = registry.render()
    expect(text).toContain('latency_seconds_bucket{route="/x",le="0.1"} 1\n')
    expect(text).toContain('latency_seconds_bucket{route="/x",le="1"} 2\n')
    expect(text).toContain('latency_seconds_bucket{route="/x",le="+Inf"} 3\n')
    expect(text).toContain('latency_seconds_sum{route="/x"} 5.55\n')
    expect(text).toContain('latency_seconds_count{route="/x"} 3\n')
  })

  it('asks collectors at scrape time and forgets them once removed', () => {
    const registry = new MetricsRegistry()
    let lag = 7
    const remove = registry.collect('lag_events', 'gauge', () => [{ labels: { projection: 'p' }, value: lag }])
    expect(registry.render()).toContain('lag_events{projection="p"} 7')
    lag = 0
    expect(registry.render()).toContain('lag_events{projection="p"} 0')
    remove()
    expect(registry.render()).not.toContain('lag_events{')
  })

  it('refuses bad names and type changes, and caps the series of one metric', () => {
    const registry = new MetricsRegistry()
    expect(() => registry.counter('bad-name')).toThrow('Cannot register metric "bad-name"')
    registry.counter('hits_total')
    expect(() => registry.gauge('hits_total')).toThrow('it is already a counter')
    for (let i = 0; i < 1_005; i++) registry.counter('ids_total', { id: i }).inc()
    const text = registry.render()
    expect(text.split('\n').filter((line) => line.startsWith('ids_total{')).length).toBe(1_000)
    expect(text).toContain('ironstar_metrics_dropped_series_total 5')
  })

  it('ignores negative counter increments', () => {
    const registry = new MetricsRegistry()
    registry.counter('c_total').inc(-5)
    expect(registry.render()).toContain('c_total 0\n')
  })
})

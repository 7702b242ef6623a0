import { describe, expect, it } from 'bun:test'
import {
  formatBytes,
  formatDuration,
  HISTORY_SECONDS,
  pushSample,
  type Reading,
  sparklinePoints,
  toSample,
} from '../../../src/features/monitor/samples.ts'

const reading = (overrides: Partial<Reading> = {}): Reading => ({
  at: 1_000_000,
  rssBytes: 50 * 1024 * 1024,
  heapUsedBytes: 10 * 1024 * 1024,
  cpuMicros: 0,
  load1: 0.5,
  cores: 2,
  uptimeSeconds: 10,
  sseConnections: 0,
  position: 0,
  projectionLag: 0,
  laggedTotal: 0,
  ...overrides,
})

describe('toSample', () => {
  it('toSample() reports zero rates for the first reading', () => {
    const sample = toSample(undefined, reading({ position: 500, cpuMicros: 9e6 }))
    expect(sample.eventsPerSecond).toBe(0)
    expect(sample.cpuPercent).toBe(0)
  })
  it('toSample() computes events per second and CPU share over the interval', () => {
    const before = reading({ at: 1_000, position: 100, cpuMicros: 1_000_000 })
    const after = reading({ at: 3_000, position: 300, cpuMicros: 1_500_000 })
    const sample = toSample(before, after)
    expect(sample.eventsPerSecond).toBe(100)
    expect(sample.cpuPercent).toBe(25)
  })
  it('toSample() never reports negative rates or divides by a zero interval', () => {
    expect(toSample(reading({ position: 5 }), reading({ position: 5 })).eventsPerSecond).toBe(0)
    const backwards = toSample(reading({ at: 0, position: 9 }), reading({ at: 1000, position: 3 }))
    expect(backwards.eventsPerSecond).toBe(0)
  })
})

describe('pushSample', () => {
  it('pushSample() keeps only the newest samples up to its capacity', () => {
    let history = pushSample([], toSample(undefined, reading({ at: 0 })))
    for (let i = 1; i < HISTORY_SECONDS + 10; i++)
      history = pushSample(history, toSample(undefined, reading({ at: i })))
    expect(history.length).toBe(HISTORY_SECONDS)
    expect(history[0]?.at).toBe(10)
    expect(history.at(-1)?.at).toBe(HISTORY_SECONDS + 9)
  })
})

describe('sparklinePoints', () => {
  it('sparklinePoints() puts the newest value at the right edge and scales to the largest', () => {
    const points = sparklinePoints([0, 5, 10], { width: 59, height: 10 }).split(' ')
    expect(points).toEqual(['57,10', '58,5', '59,0'])
  })
  it('sparklinePoints() draws a flat line at the bottom for all zeros and nothing for no values', () => {
    expect(sparklinePoints([0, 0], { width: 59, height: 10 })).toBe('58,10 59,10')
    expect(sparklinePoints([])).toBe('')
  })
  it('sparklinePoints() scales between an explicit min and max', () => {
    expect(sparklinePoints([100, 110], { width: 59, height: 10, min: 100, max: 110 })).toBe('58,10 59,0')
  })
  it('sparklinePoints() clamps values above an explicit max', () => {
    expect(sparklinePoints([200], { width: 59, height: 10, max: 100 })).toBe('59,0')
  })
})

describe('formatting', () => {
  it('formatBytes() picks a readable unit', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(50 * 1024 * 1024)).toBe('50.0 MB')
  })
  it('formatDuration() shows the two largest units', () => {
    expect(formatDuration(42)).toBe('42s')
    expect(formatDuration(125)).toBe('2m 5s')
    expect(formatDuration(3 * 3600 + 120)).toBe('3h 2m')
    expect(formatDuration(2 * 86_400 + 3600)).toBe('2d 1h')
  })
})

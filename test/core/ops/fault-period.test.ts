import { describe, expect, it } from 'bun:test'
import { FaultPeriod } from '../../../src/core/ops/fault-period.ts'
import { createLogger } from '../../../src/core/ops/log.ts'

function period() {
  const lines: Record<string, unknown>[] = []
  let now = 0
  const log = createLogger({ format: 'json', write: (line) => lines.push(JSON.parse(line)) })
  const faults = new FaultPeriod(log, { remindEveryMs: 60_000, now: () => now })
  return { lines, faults, advance: (ms: number) => (now += ms) }
}

describe('FaultPeriod', () => {
  it('logs the first failure with its error, a reminder a minute with the count, and the recovery', () => {
    const { lines, faults, advance } = period()
    for (let second = 0; second < 150; second++) {
      faults.failed('Cannot write', new Error('disk full'), { rows: 3 })
      advance(1_000)
    }
    expect(faults.isFailing).toBe(true)
    faults.recovered('Written again')
    expect(lines).toMatchObject([
      { level: 'error', msg: 'Cannot write', rows: 3, error: { message: 'disk full' } },
      { level: 'error', msg: 'Cannot write', failuresSoFar: 61 },
      { level: 'error', msg: 'Cannot write', failuresSoFar: 121 },
      { level: 'info', msg: 'Written again', failures: 150 },
    ])
    expect(lines[0]).not.toHaveProperty('failuresSoFar')
    expect(faults.isFailing).toBe(false)
  })

  it('says nothing on success outside a fault, and opens a new period after a recovery', () => {
    const { lines, faults, advance } = period()
    faults.recovered('Written again')
    expect(lines).toEqual([])
    faults.failed('Cannot write', new Error('one'))
    faults.recovered('Written again')
    advance(1_000) // well inside the reminder interval, yet a new period
    faults.failed('Cannot write', new Error('two'))
    expect(lines.map((line) => [line.msg, (line.error as { message?: string } | undefined)?.message])).toEqual([
      ['Cannot write', 'one'],
      ['Written again', undefined],
      ['Cannot write', 'two'],
    ])
  })
})

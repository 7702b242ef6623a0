import { describe, it } from 'bun:test'
import { RuleViolation } from '../../../src/core/errors.ts'
import { deciderSpec } from '../../../src/core/testing/decider-spec.ts'
import { type CounterEvent, counterDecider } from '../../../src/features/counter/domain.ts'

const spec = deciderSpec(counterDecider)
const at = '2026-01-01T00:00:00.000Z'
const incremented = (value: number): CounterEvent => ({ type: 'CounterIncremented', data: { value, at } })

describe('counter decider when new', () => {
  it('increments from 0 to 1', () => {
    spec.given().when({ type: 'IncrementCounter', at }).then(incremented(1))
  })
})

describe('counter decider when counted', () => {
  it('increments from the last value', () => {
    spec
      .given([incremented(1), incremented(2)])
      .when({ type: 'IncrementCounter', at })
      .then(incremented(3))
  })
  it('refuses to increment past the largest safe integer', () => {
    spec
      .given([incremented(Number.MAX_SAFE_INTEGER)])
      .when({ type: 'IncrementCounter', at })
      .thenThrows((error) => error instanceof RuleViolation && error.code === 'at-maximum')
  })
})

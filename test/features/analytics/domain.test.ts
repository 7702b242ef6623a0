import { describe, expect, it } from 'bun:test'
import { RuleViolation } from '../../../src/core/errors.ts'
import { deciderSpec } from '../../../src/core/testing/decider-spec.ts'
import { MAX_MESSAGE_LENGTH, type QueryEvent, queryDecider } from '../../../src/features/analytics/domain.ts'

const spec = deciderSpec(queryDecider)
const at = '2026-01-01T00:00:00.000Z'
const requested: QueryEvent = { type: 'QueryRequested', data: { queryId: 'q1', owner: 's1', sql: 'SELECT 1', at } }
const completed: QueryEvent = { type: 'QueryCompleted', data: { rows: 1, truncated: false, durationMs: 3, at } }
const cancelled: QueryEvent = { type: 'QueryCancelled', data: { at } }

describe('QuerySession when new', () => {
  it('records QueryRequested for RequestQuery', () => {
    spec.given([]).when({ type: 'RequestQuery', queryId: 'q1', owner: 's1', sql: 'SELECT 1', at }).then(requested)
  })

  it('refuses CancelQuery for a query that was never requested', () => {
    spec.given([]).when({ type: 'CancelQuery', at }).thenThrows(RuleViolation)
  })

  it('ignores a late CompleteQuery', () => {
    spec.given([]).when({ type: 'CompleteQuery', rows: 1, truncated: false, durationMs: 1, at }).thenNothingHappened()
  })
})

describe('QuerySession when running', () => {
  it('records QueryCompleted with rows and duration', () => {
    spec
      .given([requested])
      .when({ type: 'CompleteQuery', rows: 1, truncated: false, durationMs: 3, at })
      .then(completed)
  })

  it('records QueryFailed with the message, cut to a bounded length', () => {
    const message = 'x'.repeat(MAX_MESSAGE_LENGTH + 50)
    spec
      .given([requested])
      .when({ type: 'FailQuery', message, at })
      .then({ type: 'QueryFailed', data: { message: message.slice(0, MAX_MESSAGE_LENGTH), at } })
  })

  it('records QueryCancelled for CancelQuery', () => {
    spec.given([requested]).when({ type: 'CancelQuery', at }).then(cancelled)
  })

  it('refuses a second RequestQuery with the same id', () => {
    spec
      .given([requested])
      .when({ type: 'RequestQuery', queryId: 'q1', owner: 's1', sql: 'SELECT 2', at })
      .thenThrows(RuleViolation)
  })
})

describe('QuerySession when finished', () => {
  it('ignores a cancel that lost the race to completion', () => {
    spec.given([requested, completed]).when({ type: 'CancelQuery', at }).thenNothingHappened()
  })

  it('ignores a completion that lost the race to a cancel', () => {
    spec
      .given([requested, cancelled])
      .when({ type: 'CompleteQuery', rows: 5, truncated: false, durationMs: 9, at })
      .thenNothingHappened()
  })

  it('folds to the final status', () => {
    const state = [requested, cancelled].reduce(queryDecider.evolve, queryDecider.initialState())
    expect(state.status).toBe('cancelled')
  })
})

import { RuleViolation } from '../../core/errors.ts'
import type { Decider } from '../../core/eventsourcing/decider.ts'

/**
 * Two counters with one decider: a global one every visitor shares (`counter/global`) and one
 * per session (`counter/session-<id>`). Events carry the resulting value, so a reader of one
 * event knows the count without folding the stream.
 */

export const COUNTER_STREAM_TYPE = 'counter'
export const GLOBAL_COUNTER_ID = 'global'
export const globalCounterStream = { type: COUNTER_STREAM_TYPE, id: GLOBAL_COUNTER_ID } as const
export const sessionCounterStream = (sessionId: string) =>
  ({ type: COUNTER_STREAM_TYPE, id: `session-${sessionId}` }) as const

export type CounterCommand = { readonly type: 'IncrementCounter'; readonly at: string }

export type CounterEvent = {
  readonly type: 'CounterIncremented'
  readonly data: { readonly value: number; readonly at: string }
}

export const COUNTER_EVENT_TYPES = ['CounterIncremented'] as const satisfies readonly CounterEvent['type'][]

export interface CounterState {
  readonly value: number
}

function decide(state: CounterState, command: CounterCommand): CounterEvent {
  switch (command.type) {
    case 'IncrementCounter':
      // Past 2^53 - 1 the next integer is not representable: stop rather than count wrongly.
      if (state.value >= Number.MAX_SAFE_INTEGER) {
        throw new RuleViolation(`Cannot increment counter: it is at its maximum ${state.value}`, 'at-maximum')
      }
      return { type: 'CounterIncremented', data: { value: state.value + 1, at: command.at } }
    default: {
      const unknown: never = command.type
      throw new Error(`Cannot decide unknown command ${JSON.stringify(unknown)}`)
    }
  }
}

function evolve(_state: CounterState, event: CounterEvent): CounterState {
  switch (event.type) {
    case 'CounterIncremented':
      return { value: event.data.value }
    default: {
      const unknown: never = event.type
      return unknown
    }
  }
}

export const counterDecider: Decider<CounterState, CounterCommand, CounterEvent> = {
  initialState: () => ({ value: 0 }),
  decide,
  evolve,
}

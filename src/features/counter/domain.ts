import { RuleViolation } from '../../core/errors.ts'
import type { Decider } from '../../core/eventsourcing/decider.ts'

/**
 * Two counters with one decider: a global one every visitor shares (`counter/global`) and one
 * per session (`counter/session-<id>`). Events carry the resulting value, so a reader of one
 * event knows the count without folding the stream.
 */

export const COUNTER_STREAM_TYPE = 'counter'
export const globalCounterStream = { type: COUNTER_STREAM_TYPE, id: 'global' } as const
export const sessionCounterStream = (sessionId: string) =>
  ({ type: COUNTER_STREAM_TYPE, id: `session-${sessionId}` }) as const

export type CounterCommand = { readonly type: 'IncrementCounter'; readonly at: string }

export type CounterEvent = {
  readonly type: 'CounterIncremented'
  readonly data: { readonly value: number; readonly at: string }
}

export const COUNTER_EVENT_TYPES = ['CounterIncremented'] as const satisfies readonly CounterEvent['type'][]

/** One command and one event, so no `switch`: a slice with more dispatches on `type` (see todo). */
export const counterDecider: Decider<{ readonly value: number }, CounterCommand, CounterEvent> = {
  initialState: () => ({ value: 0 }),
  decide: (state, command) => {
    // Past 2^53 - 1 the next integer is not representable: stop rather than count wrongly.
    if (state.value >= Number.MAX_SAFE_INTEGER) {
      throw new RuleViolation(`Cannot increment counter: it is at its maximum ${state.value}`, 'at-maximum')
    }
    return { type: 'CounterIncremented', data: { value: state.value + 1, at: command.at } }
  },
  evolve: (_state, event) => ({ value: event.data.value }),
}

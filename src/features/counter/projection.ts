import type { StoredEvent } from '../../core/eventsourcing/events.ts'
import { defineProjection } from '../../core/eventsourcing/projections.ts'
import {
  COUNTER_EVENT_TYPES,
  COUNTER_STREAM_TYPE,
  type CounterEvent,
  GLOBAL_COUNTER_ID,
  sessionCounterStream,
} from './domain.ts'

/** Every counter's value by stream id (`global`, `session-<id>`). */
export interface Counters {
  readonly values: Map<string, number>
}

export const globalCount = (state: Counters): number => state.values.get(GLOBAL_COUNTER_ID) ?? 0
export const sessionCount = (state: Counters, sessionId: string): number =>
  state.values.get(sessionCounterStream(sessionId).id) ?? 0

/** Updated in place (see the todo projection for why). */
export const counterProjection = defineProjection<Counters, StoredEvent & CounterEvent>({
  name: 'counters',
  events: COUNTER_EVENT_TYPES,
  streamType: COUNTER_STREAM_TYPE,
  initial: () => ({ values: new Map() }),
  apply: (state, event) => {
    state.values.set(event.stream.id, event.data.value)
    return state
  },
})

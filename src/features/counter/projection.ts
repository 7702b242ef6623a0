import type { StoredEvent } from '../../core/events.ts'
import { defineProjection } from '../../core/projections.ts'
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

const counterTypes: ReadonlySet<string> = new Set(COUNTER_EVENT_TYPES)

export function isCounterEvent(event: StoredEvent): event is StoredEvent & CounterEvent {
  return event.stream.type === COUNTER_STREAM_TYPE && counterTypes.has(event.type)
}

export const initialCounters = (): Counters => ({ values: new Map() })

/** Updated in place (see the todo projection for why). */
export function applyCounterEvent(state: Counters, event: StoredEvent): Counters {
  if (isCounterEvent(event)) state.values.set(event.stream.id, event.data.value)
  return state
}

export const globalCount = (state: Counters): number => state.values.get(GLOBAL_COUNTER_ID) ?? 0
export const sessionCount = (state: Counters, sessionId: string): number =>
  state.values.get(sessionCounterStream(sessionId).id) ?? 0

export const counterProjection = defineProjection({
  name: 'counters',
  initial: initialCounters,
  apply: applyCounterEvent,
})

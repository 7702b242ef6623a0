import { defineProjection } from '../../core/eventsourcing/projections.ts'
import { COUNTER_EVENT_TYPES, COUNTER_STREAM_TYPE, type CounterEvent } from './domain.ts'

/** Every counter's value by stream id (`global`, `session-<id>`), updated in place (see the todo projection for why). */
export const counterProjection = defineProjection<Map<string, number>, CounterEvent>({
  name: 'counters',
  events: COUNTER_EVENT_TYPES,
  streamType: COUNTER_STREAM_TYPE,
  initial: () => new Map(),
  apply: (counters, event) => counters.set(event.stream.id, event.data.value),
})

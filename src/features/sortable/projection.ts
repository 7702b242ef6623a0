import type { StoredEvent } from '../../core/eventsourcing/events.ts'
import { defineProjection } from '../../core/eventsourcing/projections.ts'
import {
  SORTABLE_EVENT_TYPES,
  SORTABLE_STREAM_TYPE,
  type SortableEvent,
  type SortableList,
  sortableDecider,
} from './domain.ts'

const sortableTypes: ReadonlySet<string> = new Set(SORTABLE_EVENT_TYPES)

export function isSortableEvent(event: StoredEvent): event is StoredEvent & SortableEvent {
  return event.stream.type === SORTABLE_STREAM_TYPE && sortableTypes.has(event.type)
}

export const initialSortableList = (): SortableList => sortableDecider.initialState()

/** The page shows exactly the order the decider decides on: the same `evolve`. */
export function applySortableEvent(state: SortableList, event: StoredEvent): SortableList {
  return isSortableEvent(event) ? sortableDecider.evolve(state, event) : state
}

export const sortableProjection = defineProjection({
  name: 'sortable-list',
  events: SORTABLE_EVENT_TYPES,
  streamType: SORTABLE_STREAM_TYPE,
  initial: initialSortableList,
  apply: applySortableEvent,
})

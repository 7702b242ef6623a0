import type { StoredEvent } from '../../core/eventsourcing/events.ts'
import { defineProjection } from '../../core/eventsourcing/projections.ts'
import {
  emptyTodoList,
  TODO_EVENT_TYPES,
  TODO_STREAM_TYPE,
  type TodoEvent,
  type TodoList,
  todoDecider,
} from './domain.ts'

/** Every session's list, keyed by session id: the read model the todo pages render from. */
export interface TodoLists {
  readonly lists: Map<string, TodoList>
}

const todoTypes: ReadonlySet<string> = new Set(TODO_EVENT_TYPES)

export function isTodoEvent(event: StoredEvent): event is StoredEvent & TodoEvent {
  return event.stream.type === TODO_STREAM_TYPE && todoTypes.has(event.type)
}

export const initialTodoLists = (): TodoLists => ({ lists: new Map() })

/**
 * The read model folds with the decider's own `evolve`, so page and decision never disagree
 * about what a list holds. The Map is updated in place: copying it per event would cost
 * O(sessions) for a change to one list.
 */
export function applyTodoEvent(state: TodoLists, event: StoredEvent): TodoLists {
  if (!isTodoEvent(event)) return state
  const before = state.lists.get(event.stream.id) ?? emptyTodoList
  const after = todoDecider.evolve(before, event)
  if (after.todos.length === 0) state.lists.delete(event.stream.id)
  else state.lists.set(event.stream.id, after)
  return state
}

export function listOf(state: TodoLists, sessionId: string): TodoList {
  return state.lists.get(sessionId) ?? emptyTodoList
}

/** The read model the pages and the feed render from (each server runs its own: `ctx.app.projection`). */
export const todoProjection = defineProjection({
  name: 'todo-lists',
  events: TODO_EVENT_TYPES,
  streamType: TODO_STREAM_TYPE,
  initial: initialTodoLists,
  apply: applyTodoEvent,
})

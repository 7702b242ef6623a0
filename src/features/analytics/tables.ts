import type { AnalyticsTable } from '../../core/analytics/event-tables.ts'
import type { StoredEvent } from '../../core/events.ts'

/**
 * The todo lifecycle as rows, one per todo event, named by event type only: this slice reads
 * the todo slice's events, never its code. Payload fields are read defensively because the
 * analytics must not crash on a payload shape it does not expect.
 */
export const TODO_EVENT_TYPES = [
  'TodoAdded',
  'TodoToggled',
  'TodoEdited',
  'TodoDeleted',
  'AllTodosToggled',
  'CompletedTodosCleared',
] as const

function field(event: StoredEvent, name: string): unknown {
  const data = event.data
  return data !== null && typeof data === 'object' ? (data as Record<string, unknown>)[name] : undefined
}

function changeOf(event: StoredEvent): string {
  switch (event.type) {
    case 'TodoAdded':
      return 'added'
    case 'TodoToggled':
      return field(event, 'completed') === true ? 'completed' : 'reopened'
    case 'TodoEdited':
      return 'edited'
    case 'TodoDeleted':
      return 'deleted'
    case 'AllTodosToggled':
      return field(event, 'completed') === true ? 'all-completed' : 'all-reopened'
    default:
      return 'cleared'
  }
}

export const todoLifecycle: AnalyticsTable = {
  name: 'todo_lifecycle',
  columns: { list_id: 'VARCHAR', todo_id: 'VARCHAR', change: 'VARCHAR', affected: 'INTEGER', changed_at: 'TIMESTAMP' },
  eventTypes: TODO_EVENT_TYPES,
  toRow(event) {
    const id = field(event, 'id')
    const ids = field(event, 'ids')
    return [
      event.stream.id,
      typeof id === 'string' ? id : null,
      changeOf(event),
      Array.isArray(ids) ? ids.length : 1,
      event.createdAt,
    ]
  },
}

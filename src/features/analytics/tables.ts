import type { DerivedTable } from '../../core/analytics/event-tables.ts'

/** The todo slice's event types, named here only: this slice reads those events, never that code. */
export const TODO_EVENT_TYPES = [
  'TodoAdded',
  'TodoToggled',
  'TodoEdited',
  'TodoDeleted',
  'AllTodosToggled',
  'CompletedTodosCleared',
] as const

/**
 * The todo lifecycle, one row per todo event, derived inside DuckDB from each ingested batch.
 * JSON paths that a payload lacks read as NULL, so an unexpected shape never breaks ingestion.
 */
export const todoLifecycle: DerivedTable = {
  name: 'todo_lifecycle',
  eventTypes: TODO_EVENT_TYPES,
  columns: {
    list_id: { type: 'VARCHAR', sql: 'stream_id' },
    todo_id: { type: 'VARCHAR', sql: "payload->>'id'" },
    change: {
      type: 'VARCHAR',
      sql: `CASE type
        WHEN 'TodoAdded' THEN 'added'
        WHEN 'TodoToggled' THEN CASE WHEN payload->>'completed' = 'true' THEN 'completed' ELSE 'reopened' END
        WHEN 'TodoEdited' THEN 'edited'
        WHEN 'TodoDeleted' THEN 'deleted'
        WHEN 'AllTodosToggled' THEN CASE WHEN payload->>'completed' = 'true' THEN 'all-completed' ELSE 'all-reopened' END
        ELSE 'cleared' END`,
    },
    affected: { type: 'INTEGER', sql: "coalesce(json_array_length(payload->'ids'), 1)" },
    changed_at: { type: 'TIMESTAMP', sql: 'created_at' },
  },
  // A todo list's stream id is its session's owner key: Explore shows no session's identity.
  privateColumns: ['list_id'],
}

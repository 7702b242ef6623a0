import type { StoredEvent } from '../events.ts'
import type { EventRegistry } from '../upcast.ts'

/** The columns of `events` as bun:sqlite returns them. */
export interface EventRow {
  global_position: number
  event_id: string
  stream_type: string
  stream_id: string
  stream_version: number
  event_type: string
  schema_version: number
  payload: string
  metadata: string | null
  created_at: string
}

export const EVENT_COLUMNS =
  'global_position, event_id, stream_type, stream_id, stream_version, event_type, schema_version, payload, metadata, created_at'

/** Maps a row to an event, upcasting its payload to the current schema of its type. */
export function toStoredEvent(row: EventRow, registry: EventRegistry): StoredEvent {
  const currentVersion = registry.currentVersion(row.event_type)
  const raw: unknown = JSON.parse(row.payload)
  const data = row.schema_version === currentVersion ? raw : registry.upcast(row.event_type, row.schema_version, raw)
  return {
    position: row.global_position,
    eventId: row.event_id,
    stream: { type: row.stream_type, id: row.stream_id },
    version: row.stream_version,
    type: row.event_type,
    schemaVersion: currentVersion,
    data,
    metadata: row.metadata === null ? null : JSON.parse(row.metadata),
    createdAt: row.created_at,
  }
}

import type { Database } from 'bun:sqlite'
import type { StoredEvent, StreamRef } from '../events.ts'
import type { EventRegistry } from '../upcast.ts'
import { EVENT_COLUMNS, type EventRow, toStoredEvent } from './rows.ts'

const READ_STREAM = `SELECT ${EVENT_COLUMNS} FROM events
  WHERE stream_type = ? AND stream_id = ? AND stream_version >= ? ORDER BY stream_version`

const READ_ALL = `SELECT ${EVENT_COLUMNS} FROM events WHERE global_position > ? ORDER BY global_position LIMIT ?`

const READ_RANGE = `SELECT ${EVENT_COLUMNS} FROM events
  WHERE global_position BETWEEN ? AND ? ORDER BY global_position`

const HEAD = 'SELECT coalesce(max(global_position), 0) AS head FROM events'

export function readStream(
  db: Database,
  registry: EventRegistry,
  stream: StreamRef,
  fromVersion: number,
): StoredEvent[] {
  const rows = db.query<EventRow, [string, string, number]>(READ_STREAM).all(stream.type, stream.id, fromVersion)
  return rows.map((row) => toStoredEvent(row, registry))
}

export function readAll(db: Database, registry: EventRegistry, after: number, limit: number): StoredEvent[] {
  const rows = db.query<EventRow, [number, number]>(READ_ALL).all(after, limit)
  return rows.map((row) => toStoredEvent(row, registry))
}

export function readRange(db: Database, registry: EventRegistry, first: number, last: number): StoredEvent[] {
  const rows = db.query<EventRow, [number, number]>(READ_RANGE).all(first, last)
  return rows.map((row) => toStoredEvent(row, registry))
}

export function headPosition(db: Database): number {
  return db.query<{ head: number }, []>(HEAD).get()?.head ?? 0
}

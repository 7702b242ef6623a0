import type { SQL } from 'bun'
import type { StoredEvent, StreamRef } from '../events.ts'
import type { EventRegistry } from '../upcast.ts'
import type { AppendResult } from './event-store.ts'
import { type EventRow, toStoredEvent } from './rows.ts'

/** The columns of `events` as text and numbers (Bun returns BIGINT as a string, JSON parsed). */
const COLUMNS = `global_position::float8 AS global_position, event_id, stream_type, stream_id, stream_version,
  event_type, schema_version, payload::text AS payload, metadata::text AS metadata, created_at`

/** The pool or a transaction: all these reads need. */
export type Queryable = Pick<SQL, 'unsafe'>

function toEvents(rows: unknown, registry: EventRegistry): StoredEvent[] {
  return (rows as EventRow[]).map((row) => toStoredEvent(row, registry))
}

export async function readStreamPg(
  sql: Queryable,
  registry: EventRegistry,
  stream: StreamRef,
  fromVersion: number,
): Promise<StoredEvent[]> {
  const rows = await sql.unsafe(
    `SELECT ${COLUMNS} FROM events WHERE stream_type = $1 AND stream_id = $2 AND stream_version >= $3
     ORDER BY stream_version`,
    [stream.type, stream.id, fromVersion],
  )
  return toEvents(rows, registry)
}

export async function readAllPg(
  sql: Queryable,
  registry: EventRegistry,
  after: number,
  limit: number,
): Promise<StoredEvent[]> {
  const rows = await sql.unsafe(
    `SELECT ${COLUMNS} FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2`,
    [after, limit],
  )
  return toEvents(rows, registry)
}

export async function readRangePg(
  sql: Queryable,
  registry: EventRegistry,
  first: number,
  last: number,
): Promise<StoredEvent[]> {
  const rows = await sql.unsafe(
    `SELECT ${COLUMNS} FROM events WHERE global_position BETWEEN $1 AND $2 ORDER BY global_position`,
    [first, last],
  )
  return toEvents(rows, registry)
}

export async function headPositionPg(sql: Queryable): Promise<number> {
  const [row] = await sql.unsafe('SELECT coalesce(max(global_position), 0)::float8 AS head FROM events')
  return Number(row?.head ?? 0)
}

/** What an earlier append wrote between two positions, as a duplicate append's result. */
export async function readAppliedPg(
  sql: Queryable,
  registry: EventRegistry,
  first: number,
  last: number,
): Promise<AppendResult> {
  const events = await readRangePg(sql, registry, first, last)
  return { events, nextVersion: events.at(-1)?.version ?? 0, position: last, duplicate: true }
}

/** What a command id already wrote, as a duplicate append's result; null when the id is new. */
export async function findCommandPg(
  sql: Queryable,
  registry: EventRegistry,
  commandId: string,
): Promise<AppendResult | null> {
  const [row] = await sql.unsafe(
    'SELECT first_position::float8 AS first, last_position::float8 AS last FROM command_log WHERE command_id = $1',
    [commandId],
  )
  return row ? readAppliedPg(sql, registry, row.first, row.last) : null
}

import type { SQL, TransactionSQL } from 'bun'
import { VersionConflict } from '../../errors.ts'
import type { StoredEvent, StreamRef } from '../events.ts'
import type { EventRegistry } from '../upcast.ts'
import type { PreparedAppend } from './append.ts'
import type { AppendResult } from './event-store.ts'
import type { AppendOutcome } from './group-commit.ts'
import { headPositionPg, readAppliedPg } from './postgres-read.ts'

/** Any fixed number, the same on every node: the lock every append transaction takes first. */
const APPEND_LOCK = 7_311_800

const INSERT_EVENTS = `INSERT INTO events (global_position, event_id, stream_type, stream_id, stream_version,
    event_type, schema_version, payload, metadata, created_at)
  SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::int4[],
    $6::text[], $7::int4[], $8::text[]::json[], $9::text[]::json[], $10::text[])`

const INSERT_COMMANDS = `INSERT INTO command_log (command_id, stream_type, stream_id, first_position, last_position, created_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::text[])`

const FIND_COMMANDS = `SELECT command_id, first_position::float8 AS first, last_position::float8 AS last
  FROM command_log WHERE command_id = ANY($1::text[])`

const STREAM_VERSIONS = `SELECT s.t, s.i, coalesce((SELECT max(e.stream_version) FROM events e
    WHERE e.stream_type = s.t AND e.stream_id = s.i), 0) AS v
  FROM unnest($1::text[], $2::text[]) AS s(t, i)`

const streamKey = (stream: StreamRef) => `${stream.type}\u0000${stream.id}`

function isUniqueViolation(error: unknown): boolean {
  return (error as { errno?: unknown } | null)?.errno === '23505'
}

/**
 * Writes a batch of appends in one PostgreSQL transaction, one fsync. Every append
 * transaction of every node first takes one advisory lock, so appends are serialised: the
 * writer that holds it reads the head and hands out the next positions itself, and the lock
 * is released only once the commit is visible. Positions therefore become visible in order,
 * with no holes, and a reader tailing by position never skips one that commits later.
 * Each append keeps its own checks (idempotency, expected version), made against versions
 * read once per batch; a conflict fails that append only. One multi-row insert per table.
 */
export async function commitBatchPg(
  sql: SQL,
  registry: EventRegistry,
  batch: readonly PreparedAppend[],
  channel: string,
): Promise<AppendOutcome[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sql.begin((tx) => writeBatch(tx, registry, batch, channel))
    } catch (error) {
      // Only a writer that skipped the lock can break a uniqueness guard; the retry re-reads and reports conflicts.
      if (attempt >= 2 || !isUniqueViolation(error)) throw error
    }
  }
}

async function writeBatch(
  tx: TransactionSQL,
  registry: EventRegistry,
  batch: readonly PreparedAppend[],
  channel: string,
): Promise<AppendOutcome[]> {
  await tx`SELECT pg_advisory_xact_lock(${APPEND_LOCK})`
  let position = await headPositionPg(tx)
  const originals = await findCommands(tx, batch)
  const versions = await streamVersions(tx, batch)
  const written = new Map<string, AppendResult>()
  const rows: EventInsert[] = []
  const commands: { id: string; stream: StreamRef; first: number; last: number }[] = []
  const outcomes: AppendOutcome[] = []
  const createdAt = new Date().toISOString()

  for (const append of batch) {
    const { stream, expectedVersion, commandId } = append
    const earlier = commandId === undefined ? undefined : written.get(commandId)
    if (earlier) {
      outcomes.push({ ok: true, result: { ...earlier, duplicate: true } })
      continue
    }
    const original = commandId === undefined ? undefined : originals.get(commandId)
    if (original) {
      outcomes.push({ ok: true, result: await readAppliedPg(tx, registry, original.first, original.last) })
      continue
    }
    const current = versions.get(streamKey(stream)) ?? 0
    if (expectedVersion !== 'any' && expectedVersion !== current) {
      outcomes.push({ ok: false, error: new VersionConflict(stream, expectedVersion, current) })
      continue
    }
    const stored = append.events.map((event, index) => ({
      position: ++position,
      eventId: Bun.randomUUIDv7(),
      stream,
      version: current + index + 1,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: append.metadata,
      createdAt,
    }))
    const nextVersion = current + stored.length
    versions.set(streamKey(stream), nextVersion)
    const metadata = append.metadata === null ? null : JSON.stringify(append.metadata)
    for (const [index, event] of stored.entries()) {
      rows.push({ event, payload: append.events[index]?.payload ?? '', metadata })
    }
    const result = { events: stored, nextVersion, position, duplicate: false }
    if (commandId !== undefined) {
      written.set(commandId, result)
      commands.push({ id: commandId, stream, first: stored[0]?.position ?? position, last: position })
    }
    outcomes.push({ ok: true, result })
  }

  if (rows.length > 0) await insertEvents(tx, rows)
  if (commands.length > 0) {
    await tx.unsafe(INSERT_COMMANDS, [
      commands.map((c) => c.id),
      commands.map((c) => c.stream.type),
      commands.map((c) => c.stream.id),
      commands.map((c) => c.first),
      commands.map((c) => c.last),
      commands.map(() => createdAt),
    ])
  }
  // NOTIFY is delivered on commit only: every node hears of the new head once it is visible.
  if (rows.length > 0) await tx`SELECT pg_notify(${channel}, ${String(position)})`
  return outcomes
}

async function findCommands(tx: TransactionSQL, batch: readonly PreparedAppend[]) {
  const ids = batch.flatMap((append) => (append.commandId === undefined ? [] : [append.commandId]))
  const found = new Map<string, { first: number; last: number }>()
  if (ids.length === 0) return found
  const rows = (await tx.unsafe(FIND_COMMANDS, [ids])) as { command_id: string; first: number; last: number }[]
  for (const row of rows) found.set(row.command_id, { first: row.first, last: row.last })
  return found
}

async function streamVersions(tx: TransactionSQL, batch: readonly PreparedAppend[]) {
  const streams = [...new Map(batch.map((append) => [streamKey(append.stream), append.stream])).values()]
  const rows = (await tx.unsafe(STREAM_VERSIONS, [streams.map((s) => s.type), streams.map((s) => s.id)])) as {
    t: string
    i: string
    v: number
  }[]
  return new Map(rows.map((row) => [streamKey({ type: row.t, id: row.i }), Number(row.v)]))
}

/** One row of the events insert: the stored event and the payload serialised when it was prepared. */
interface EventInsert {
  readonly event: StoredEvent
  readonly payload: string
  readonly metadata: string | null
}

async function insertEvents(tx: TransactionSQL, rows: readonly EventInsert[]) {
  await tx.unsafe(INSERT_EVENTS, [
    rows.map((r) => r.event.position),
    rows.map((r) => r.event.eventId),
    rows.map((r) => r.event.stream.type),
    rows.map((r) => r.event.stream.id),
    rows.map((r) => r.event.version),
    rows.map((r) => r.event.type),
    rows.map((r) => r.event.schemaVersion),
    rows.map((r) => r.payload),
    rows.map((r) => r.metadata),
    rows.map((r) => r.event.createdAt),
  ])
}

import type { SQL, TransactionSQL } from 'bun'
import { VersionConflict } from '../../errors.ts'
import type { StoredEvent, StreamRef } from '../events.ts'
import type { EventRegistry } from '../upcast.ts'
import type { PreparedAppend } from './append.ts'
import { BatchChains } from './chain-link.ts'
import type { AppendResult } from './event-store.ts'
import type { AppendOutcome } from './group-commit.ts'
import { readAppliedPg } from './postgres-read.ts'

/** Any fixed number, the same on every node: the lock every append transaction takes first. */
const APPEND_LOCK = 7_311_800

/** What the checks of a whole batch need, in one round trip: the head, known command ids, stream versions. */
const READ_BATCH_STATE = `SELECT
  (SELECT coalesce(max(global_position), 0)::float8 FROM events) AS head,
  (SELECT coalesce(json_agg(json_build_array(command_id, first_position, last_position)), '[]')
    FROM command_log WHERE command_id = ANY($1::text[])) AS commands,
  (SELECT coalesce(json_agg(json_build_array(s.t, s.i, (SELECT coalesce(max(e.stream_version), 0) FROM events e
    WHERE e.stream_type = s.t AND e.stream_id = s.i))), '[]')
    FROM unnest($2::text[], $3::text[]) AS s(t, i)) AS versions`

/** Every row of the batch, its command ids and the NOTIFY, in one round trip. */
const WRITE_BATCH = `WITH inserted AS (
    INSERT INTO events (global_position, event_id, stream_type, stream_id, stream_version,
      event_type, schema_version, payload, metadata, created_at)
    SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::int4[],
      $6::text[], $7::int4[], $8::text[]::json[], $9::text[]::json[], $10::text[])
  ), logged AS (
    INSERT INTO command_log (command_id, stream_type, stream_id, first_position, last_position, created_at)
    SELECT * FROM unnest($11::text[], $12::text[], $13::text[], $14::int8[], $15::int8[], $16::text[])
  )
  SELECT pg_notify($17, $18)`

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
 * Each append keeps its own checks (idempotency, what it was decided on, expected version), made
 * against versions read once per batch; a conflict fails that append only. One multi-row insert per table.
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
  const state = await readBatchState(tx, batch)
  const { originals, versions } = state
  let position = state.head
  const written = new Map<string, AppendResult>()
  const rows: EventInsert[] = []
  const commands: CommandInsert[] = []
  const outcomes: AppendOutcome[] = []
  const createdAt = new Date().toISOString()
  const chains = new BatchChains()

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
    const broken = chains.brokenBasis(append, current)
    if (broken) {
      outcomes.push({ ok: false, error: broken })
      continue
    }
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
    chains.wrote(append.chain)
    outcomes.push({ ok: true, result })
  }

  // NOTIFY is delivered on commit only: every node hears of the new head once it is visible.
  if (rows.length > 0) await writeRows(tx, rows, commands, channel, position)
  return outcomes
}

async function readBatchState(tx: TransactionSQL, batch: readonly PreparedAppend[]) {
  const ids = batch.flatMap((append) => (append.commandId === undefined ? [] : [append.commandId]))
  const streams = [...new Map(batch.map((append) => [streamKey(append.stream), append.stream])).values()]
  const [row] = (await tx.unsafe(READ_BATCH_STATE, [ids, streams.map((s) => s.type), streams.map((s) => s.id)])) as {
    head: number
    commands: [string, number, number][]
    versions: [string, string, number][]
  }[]
  if (!row) throw new Error('Cannot read the state of a batch: no row')
  return {
    head: row.head,
    originals: new Map(row.commands.map(([id, first, last]) => [id, { first: Number(first), last: Number(last) }])),
    versions: new Map(row.versions.map(([type, id, version]) => [streamKey({ type, id }), Number(version)])),
  }
}

/** One row of the events insert: the stored event and the payload serialised when it was prepared. */
interface EventInsert {
  readonly event: StoredEvent
  readonly payload: string
  readonly metadata: string | null
}

interface CommandInsert {
  readonly id: string
  readonly stream: StreamRef
  readonly first: number
  readonly last: number
}

async function writeRows(
  tx: TransactionSQL,
  rows: readonly EventInsert[],
  commands: readonly CommandInsert[],
  channel: string,
  head: number,
) {
  const createdAt = rows[0]?.event.createdAt ?? new Date().toISOString()
  await tx.unsafe(WRITE_BATCH, [
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
    commands.map((c) => c.id),
    commands.map((c) => c.stream.type),
    commands.map((c) => c.stream.id),
    commands.map((c) => c.first),
    commands.map((c) => c.last),
    commands.map(() => createdAt),
    channel,
    String(head),
  ])
}

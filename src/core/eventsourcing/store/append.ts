import type { Database } from 'bun:sqlite'
import { VersionConflict } from '../../errors.ts'
import type { StoredEvent, StreamRef } from '../events.ts'
import type { EventRegistry } from '../upcast.ts'
import type { BatchChains, ChainLink } from './chain-link.ts'
import type { AppendResult, ExpectedVersion } from './event-store.ts'
import { readRange } from './read.ts'

/** An append whose payloads are already validated and serialised, waiting for its batch. */
export interface PreparedAppend {
  readonly stream: StreamRef
  readonly expectedVersion: ExpectedVersion
  readonly events: readonly { type: string; schemaVersion: number; data: unknown; payload: string }[]
  readonly commandId: string | undefined
  readonly metadata: Readonly<Record<string, unknown>> | null
  /** Settled by the group commit; the append is refused if the one it was decided on did not commit. */
  readonly chain: ChainLink | null
}

const STREAM_VERSION = `SELECT stream_version AS v FROM events
  WHERE stream_type = ? AND stream_id = ? ORDER BY stream_version DESC LIMIT 1`

const INSERT_EVENT = `INSERT INTO events
  (event_id, stream_type, stream_id, stream_version, event_type, schema_version, payload, metadata, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

const FIND_COMMAND = 'SELECT first_position AS first, last_position AS last FROM command_log WHERE command_id = ?'

const RECORD_COMMAND = `INSERT INTO command_log
  (command_id, stream_type, stream_id, first_position, last_position, created_at) VALUES (?, ?, ?, ?, ?, ?)`

/** What a command id already wrote, as a duplicate append's result; null when the id is new. */
export function findAppliedCommand(db: Database, registry: EventRegistry, commandId: string): AppendResult | null {
  const original = db.query<{ first: number; last: number }, [string]>(FIND_COMMAND).get(commandId)
  if (!original) return null
  const events = readRange(db, registry, original.first, original.last)
  return { events, nextVersion: events.at(-1)?.version ?? 0, position: original.last, duplicate: true }
}

/**
 * Writes one append inside the caller's transaction (and savepoint): idempotency check, the
 * check of what it was decided on (`chains`: this transaction's), optimistic version check,
 * inserts. Throws VersionConflict without writing on a mismatch.
 */
export function appendInTransaction(
  db: Database,
  registry: EventRegistry,
  append: PreparedAppend,
  chains: BatchChains,
): AppendResult {
  const { stream, expectedVersion, commandId } = append
  const original = commandId === undefined ? null : findAppliedCommand(db, registry, commandId)
  if (original) return original

  const current = db.query<{ v: number }, [string, string]>(STREAM_VERSION).get(stream.type, stream.id)?.v ?? 0
  const broken = chains.brokenBasis(append, current)
  if (broken) throw broken
  if (expectedVersion !== 'any' && expectedVersion !== current) {
    throw new VersionConflict(stream, expectedVersion, current)
  }

  const insert = db.query(INSERT_EVENT)
  const createdAt = new Date().toISOString()
  const metadataJson = append.metadata === null ? null : JSON.stringify(append.metadata)
  const stored: StoredEvent[] = []
  let version = current
  for (const event of append.events) {
    version++
    const eventId = Bun.randomUUIDv7()
    const { lastInsertRowid } = insert.run(
      eventId,
      stream.type,
      stream.id,
      version,
      event.type,
      event.schemaVersion,
      event.payload,
      metadataJson,
      createdAt,
    )
    stored.push({
      position: Number(lastInsertRowid),
      eventId,
      stream,
      version,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: append.metadata,
      createdAt,
    })
  }

  const first = stored[0]?.position ?? 0
  const last = stored.at(-1)?.position ?? 0
  if (commandId !== undefined) {
    db.query(RECORD_COMMAND).run(commandId, stream.type, stream.id, first, last, createdAt)
  }
  chains.wrote(append.chain)
  return { events: stored, nextVersion: version, position: last, duplicate: false }
}

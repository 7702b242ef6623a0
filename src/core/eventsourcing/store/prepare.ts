import { ValidationError } from '../../errors.ts'
import type { NewEvent, StreamRef } from '../events.ts'
import type { EventRegistry } from '../upcast.ts'
import type { PreparedAppend } from './append.ts'
import type { AppendOptions, ExpectedVersion } from './event-store.ts'
import { serializePayload } from './serialize.ts'

/**
 * Validates and serialises an append before it joins a batch, the same for every engine:
 * a bad payload, type or expected version is refused here and never reaches a transaction.
 */
export function prepareAppend(
  registry: EventRegistry,
  maxPayloadBytes: number,
  stream: StreamRef,
  expectedVersion: ExpectedVersion,
  events: readonly NewEvent[],
  options: AppendOptions,
): PreparedAppend {
  const where = `Cannot append to stream "${stream.type}/${stream.id}"`
  if (events.length === 0) throw new ValidationError(`${where}: no events given`)
  if (expectedVersion !== 'any' && (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0)) {
    throw new ValidationError(`${where}: expected version ${expectedVersion} is not a whole number ≥ 0`)
  }
  const prepared = events.map((event) => ({
    type: event.type,
    schemaVersion: registry.currentVersion(event.type),
    data: event.data,
    payload: serializePayload(event.data, maxPayloadBytes, `${where}: event "${event.type}"`),
  }))
  const metadata = options.commandId || options.metadata ? { ...options.metadata, commandId: options.commandId } : null
  if (metadata) serializePayload(metadata, maxPayloadBytes, `${where}: metadata`)
  const chain = options.chain ?? null
  return { stream, expectedVersion, events: prepared, commandId: options.commandId, metadata, chain }
}

import type { EventRegistry } from '../upcast.ts'

/** What a projection's snapshot depends on besides its events. */
export interface DefinitionParts {
  readonly name: string
  /** Bumped by hand when the fold changes in code its source does not show (a decider it calls). */
  readonly version: number
  /** The fold's own source (`initial` and `apply` as written), so an edit to them needs no bump. */
  readonly source: string
  /** The event types it folds; their current schema versions are part of the fingerprint. */
  readonly events?: readonly string[]
}

/** Bumped when the snapshot format itself changes: every older snapshot is then ignored. */
const FORMAT = 1

/**
 * Identifies a definition of a projection, so a snapshot is loaded only by the code that wrote it:
 * the name, its version, the source of its fold, and the schema version of each event type it
 * folds (an upcaster that changes shapes changes what the fold saw).
 */
export function fingerprintOf(parts: DefinitionParts, registry?: EventRegistry): string {
  const schemas = (parts.events ?? []).map((type) => [type, registry?.has(type) ? registry.currentVersion(type) : 0])
  const identity = JSON.stringify([FORMAT, parts.name, parts.version, schemas, parts.source])
  return new Bun.CryptoHasher('sha256').update(identity).digest('hex')
}

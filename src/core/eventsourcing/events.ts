import type { StreamRef } from '../errors.ts'

export type { StreamRef }

/** Anything JSON can represent; payloads and metadata are stored as JSON text. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json }

/** An event as a decider produces it: a plain readonly record. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  readonly type: Type
  readonly data: Data
}

/** An event as the store returns it: the new event plus where and when it was committed. */
export interface StoredEvent<Type extends string = string, Data = unknown> extends NewEvent<Type, Data> {
  readonly position: number
  readonly eventId: string
  readonly stream: StreamRef
  readonly version: number
  readonly schemaVersion: number
  readonly metadata: Readonly<Record<string, unknown>> | null
  readonly createdAt: string
}

export function streamKey(stream: StreamRef): string {
  return `${stream.type}/${stream.id}`
}

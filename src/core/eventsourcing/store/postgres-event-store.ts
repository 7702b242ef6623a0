import type { SQL } from 'bun'
import type { StoredEvent, StreamRef } from '../events.ts'
import type { EventRegistry } from '../upcast.ts'
import { BatchingEventStore, type BatchingEventStoreOptions } from './batching-event-store.ts'
import type { AppendResult } from './event-store.ts'
import { commitBatchPg } from './postgres-append.ts'
import { findCommandPg, headPositionPg, readAllPg, readStreamPg } from './postgres-read.ts'

/** The channel every node's appends NOTIFY with the new head position. */
export const DEFAULT_EVENTS_CHANNEL = 'ironstar_events'

export interface PostgresEventStoreOptions extends BatchingEventStoreOptions {
  /** The NOTIFY channel; every node of one app must use the same. @default 'ironstar_events' */
  channel?: string
}

/**
 * The event store on PostgreSQL, for several nodes sharing one database: the same contract as
 * the SQLite store (see `commitBatchPg` for how positions stay gap-free across nodes). Appends
 * queue while one batch commits and the next flush writes them all in one transaction.
 * Promises settle after COMMIT returns: acknowledged means durable. The pool stays the caller's.
 */
export class PostgresEventStore extends BatchingEventStore {
  readonly #sql: SQL

  constructor(sql: SQL, registry: EventRegistry, options: PostgresEventStoreOptions = {}) {
    const channel = options.channel ?? DEFAULT_EVENTS_CHANNEL
    super(registry, options, (batch) => commitBatchPg(sql, registry, batch, channel))
    this.#sql = sql
  }

  findCommand(commandId: string): Promise<AppendResult | null> {
    return findCommandPg(this.#sql, this.registry, commandId)
  }

  readStream(stream: StreamRef, fromVersion = 1): Promise<StoredEvent[]> {
    return readStreamPg(this.#sql, this.registry, stream, fromVersion)
  }

  headPosition(): Promise<number> {
    return headPositionPg(this.#sql)
  }

  protected readPage(after: number, limit: number): Promise<StoredEvent[]> {
    return readAllPg(this.#sql, this.registry, after, limit)
  }
}

import type { SQL } from 'bun'
import { createLogger, type Logger } from '../../ops/log.ts'
import type { NewEvent, StoredEvent, StreamRef } from '../events.ts'
import type { EventRegistry } from '../upcast.ts'
import type {
  AppendOptions,
  AppendResult,
  CommitListener,
  EventStore,
  ExpectedVersion,
  ReadAllOptions,
  StoreStats,
} from './event-store.ts'
import { GroupCommit } from './group-commit.ts'
import { commitBatchPg } from './postgres-append.ts'
import { findCommandPg, headPositionPg, readAllPg, readStreamPg } from './postgres-read.ts'
import { prepareAppend } from './prepare.ts'

/** The channel every node's appends NOTIFY with the new head position. */
export const DEFAULT_EVENTS_CHANNEL = 'ironstar_events'

export interface PostgresEventStoreOptions {
  /** Largest serialised payload of one event. @default 1048576 (1 MiB) */
  maxPayloadBytes?: number
  /** Appends waiting for a commit before new ones are refused with OverloadedError. @default 10000 */
  maxPending?: number
  /** Appends committed in one transaction at most. @default 1000 */
  maxBatch?: number
  /** The NOTIFY channel; every node of one app must use the same. @default 'ironstar_events' */
  channel?: string
  /** Where a failing commit listener is reported. @default JSON lines to stderr */
  log?: Logger
}

/**
 * The event store on PostgreSQL, for several nodes sharing one database: the same contract as
 * the SQLite store (see `commitBatchPg` for how positions stay gap-free across nodes). Appends
 * queue while one batch commits and the next flush writes them all in one transaction.
 * Promises settle after COMMIT returns: acknowledged means durable. The pool stays the caller's.
 */
export class PostgresEventStore implements EventStore {
  readonly #sql: SQL
  readonly #registry: EventRegistry
  readonly #maxPayloadBytes: number
  readonly #group: GroupCommit

  constructor(sql: SQL, registry: EventRegistry, options: PostgresEventStoreOptions = {}) {
    const { maxPayloadBytes = 1_048_576, maxPending = 10_000, maxBatch = 1_000, log = createLogger() } = options
    const channel = options.channel ?? DEFAULT_EVENTS_CHANNEL
    this.#sql = sql
    this.#registry = registry
    this.#maxPayloadBytes = maxPayloadBytes
    this.#group = new GroupCommit((batch) => commitBatchPg(sql, registry, batch, channel), {
      maxPending,
      maxBatch,
      log,
    })
  }

  append(
    stream: StreamRef,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    try {
      return this.#group.enqueue(
        prepareAppend(this.#registry, this.#maxPayloadBytes, stream, expectedVersion, events, options),
      )
    } catch (error) {
      return Promise.reject(error)
    }
  }

  findCommand(commandId: string): Promise<AppendResult | null> {
    return findCommandPg(this.#sql, this.#registry, commandId)
  }

  readStream(stream: StreamRef, fromVersion = 1): Promise<StoredEvent[]> {
    return readStreamPg(this.#sql, this.#registry, stream, fromVersion)
  }

  readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const { after = 0, limit = 1_000 } = options
    return readAllPg(this.#sql, this.#registry, after, limit)
  }

  headPosition(): Promise<number> {
    return headPositionPg(this.#sql)
  }

  onCommit(listener: CommitListener): () => void {
    return this.#group.onCommit(listener)
  }

  stats(): StoreStats {
    return this.#group.stats()
  }

  /** Commits what is queued, then refuses new appends. */
  close(): Promise<void> {
    return this.#group.close()
  }
}

import type { StorageFaultError } from '../../errors.ts'
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
import { type CommitBatch, GroupCommit } from './group-commit.ts'
import { prepareAppend } from './prepare.ts'

/** The limits every engine's store takes. */
export interface EventStoreLimits {
  /** Largest serialised payload of one event. @default 1048576 (1 MiB) */
  maxPayloadBytes?: number
  /** Appends waiting for a commit before new ones are refused with OverloadedError. @default 10000 */
  maxPending?: number
  /** Appends committed in one transaction at most. @default 1000 */
  maxBatch?: number
}

/** What every engine's store takes: its limits, and where it reports. */
export interface BatchingEventStoreOptions extends EventStoreLimits {
  /** Where a failing commit listener is reported. @default JSON lines to stderr */
  log?: Logger
  /** How long `storageFault()` reports a passing failure after the last commit it failed. @default 10000 */
  reportFailureForMs?: number
}

/**
 * What the engines' stores share: appends validated up front, then group-committed by the
 * engine's `CommitBatch`; listeners, stats and close. An engine adds its reads.
 */
export abstract class BatchingEventStore implements EventStore {
  protected readonly registry: EventRegistry
  readonly #maxPayloadBytes: number
  readonly #group: GroupCommit

  protected constructor(registry: EventRegistry, options: BatchingEventStoreOptions, commit: CommitBatch) {
    const { maxPayloadBytes = 1_048_576, maxPending = 10_000, maxBatch = 1_000, log = createLogger() } = options
    const { reportFailureForMs } = options
    this.registry = registry
    this.#maxPayloadBytes = maxPayloadBytes
    this.#group = new GroupCommit(commit, { maxPending, maxBatch, log, reportFailureForMs })
  }

  append(
    stream: StreamRef,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    try {
      return this.#group.enqueue(
        prepareAppend(this.registry, this.#maxPayloadBytes, stream, expectedVersion, events, options),
      )
    } catch (error) {
      options.chain?.settle(false)
      return Promise.reject(error)
    }
  }

  readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const { after = 0, limit = 1_000 } = options
    return this.readPage(after, limit)
  }

  onCommit(listener: CommitListener): () => void {
    return this.#group.onCommit(listener)
  }

  stats(): StoreStats {
    return this.#group.stats()
  }

  storageFault(): StorageFaultError | null {
    return this.#group.storageFault()
  }

  /** For an engine that finds, between commits, that no later write can be made durable. */
  protected refuseWrites(fault: StorageFaultError): void {
    this.#group.refuse(fault)
  }

  /** Commits what is queued, then refuses new appends. The connection stays the caller's. */
  close(): Promise<void> {
    return this.#group.close()
  }

  abstract findCommand(commandId: string): Promise<AppendResult | null>
  abstract readStream(stream: StreamRef, fromVersion?: number): Promise<StoredEvent[]>
  abstract headPosition(): Promise<number>
  protected abstract readPage(after: number, limit: number): Promise<StoredEvent[]>
}

import type { StorageFaultError } from '../../errors.ts'
import type { NewEvent, StoredEvent, StreamRef } from '../events.ts'
import type { ChainLink } from './chain-link.ts'

/** `0` means the stream must not exist yet; `'any'` skips the check and must be asked for. */
export type ExpectedVersion = number | 'any'

export interface AppendOptions {
  /** Identifies the command: a retry with the same id returns the original result, writing nothing. */
  commandId?: string
  /** Stored with every event of this append (correlation ids, the acting session, …). */
  metadata?: Readonly<Record<string, unknown>>
  /**
   * This append's link in a speculative chain: when it was decided on another queued append's
   * result, it commits only if that append committed, else it is refused with VersionConflict.
   */
  chain?: ChainLink
}

export interface AppendResult {
  readonly events: readonly StoredEvent[]
  /** The stream's version after the append. */
  readonly nextVersion: number
  /** The global position of the last event written (or of the original write, when duplicate). */
  readonly position: number
  /** True when the command id had already been applied and nothing was written. */
  readonly duplicate: boolean
}

export interface ReadAllOptions {
  /** Read events strictly after this global position. @default 0 */
  after?: number
  /** Page size. @default 1000 */
  limit?: number
}

/** Called once per durable commit with its events in global-position order. */
export type CommitListener = (events: readonly StoredEvent[]) => void

export interface StoreStats {
  /** Transactions committed (one fsync each). */
  readonly commits: number
  /** Appends acknowledged, duplicates included. */
  readonly appends: number
  /** Events written. */
  readonly events: number
  /** Commits the storage refused (a full or read-only disk, an I/O error): their appends got a StorageFaultError. */
  readonly storageFailures: number
  /** Appends refused with OverloadedError at once because `maxPending` appends already waited for a commit. */
  readonly queueRefused: number
}

/** The event store port. SQLite is the default adapter; the interface stays engine-neutral. */
export interface EventStore {
  append(
    stream: StreamRef,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult>
  /** What an append with this command id wrote (`duplicate: true`), or null when none was made. */
  findCommand(commandId: string): Promise<AppendResult | null>
  readStream(stream: StreamRef, fromVersion?: number): Promise<StoredEvent[]>
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>
  headPosition(): Promise<number>
  onCommit(listener: CommitListener): () => void
  stats(): StoreStats
  /**
   * Why appends are refused until a restart (storage removed or replaced), or why the last commit
   * failed (a full or read-only disk, until a commit succeeds again or none has failed for a while), or null.
   */
  storageFault(): StorageFaultError | null
  close(): Promise<void>
}

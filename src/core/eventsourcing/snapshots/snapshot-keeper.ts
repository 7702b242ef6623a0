import type { Logger } from '../../ops/log.ts'
import { type SnapshotCodec, UnsnapshottableStateError } from './codec.ts'
import { checksumOf, type SnapshotStore } from './snapshot-store.ts'

/** When a projection writes its snapshot. */
export interface SnapshotPolicy {
  /** A checkpoint is due once this many events were folded since the last. @default 10000 */
  everyEvents?: number
  /** At most one write per this many milliseconds (encoding a large state blocks the loop). @default 5000 */
  minIntervalMs?: number
  /** An encoded state larger than this is not written (counted as a failure). @default 67108864 (64 MiB) */
  maxBytes?: number
}

export interface SnapshotCounters {
  /** Snapshots written by this run. */
  readonly writes: number
  /** Writes that failed (full disk, state too large or not serialisable); never fatal. */
  readonly failures: number
  /** The position the state was restored at, or null when it folded from 0. */
  readonly restoredFrom: number | null
}

/** A state and the global position it reflects, read at the same moment. */
export interface Checkpoint<State> {
  readonly state: State
  readonly position: number
}

export interface SnapshotKeeperOptions<State> {
  readonly name: string
  readonly fingerprint: string
  readonly codec: SnapshotCodec<State>
  readonly store: SnapshotStore
  readonly log: Logger
  /** The live state and position, read when a write runs (never in the middle of a batch). */
  readonly capture: () => Checkpoint<State>
  readonly policy?: SnapshotPolicy
}

/**
 * One projection's snapshots: restores the newest valid one at start, and writes checkpoints off
 * the fold's path, from a timer, at most one at a time. Nothing here is fatal: a snapshot that is
 * missing, of another definition, damaged or ahead of the log means folding from 0, and a write
 * that fails is counted and logged, and the next checkpoint tries again.
 */
export class SnapshotKeeper<State> {
  readonly #options: SnapshotKeeperOptions<State>
  readonly #everyEvents: number
  readonly #minIntervalMs: number
  readonly #maxBytes: number
  #sinceWrite = 0
  #writtenAt = 0
  #writtenPosition = -1
  #timer: ReturnType<typeof setTimeout> | null = null
  #writing: Promise<void> | null = null
  /** Set when the state cannot be encoded: it would fail the same way every time. */
  #unencodable = false
  #writes = 0
  #failures = 0
  #restoredFrom: number | null = null

  constructor(options: SnapshotKeeperOptions<State>) {
    const { everyEvents = 10_000, minIntervalMs = 5_000, maxBytes = 64 * 1_048_576 } = options.policy ?? {}
    this.#options = options
    this.#everyEvents = everyEvents
    this.#minIntervalMs = minIntervalMs
    this.#maxBytes = maxBytes
  }

  counters(): SnapshotCounters {
    return { writes: this.#writes, failures: this.#failures, restoredFrom: this.#restoredFrom }
  }

  /** The snapshot to start from, or null to fold from 0 (with a log line saying why, if one was there). */
  async restore(head: number): Promise<Checkpoint<State> | null> {
    const { name, fingerprint, store, codec, log } = this.#options
    try {
      const snapshot = await store.load(name, fingerprint)
      if (!snapshot) {
        const others = await store.countOthers(name, fingerprint)
        if (others > 0)
          log.info(`Projection "${name}" ignores ${others} snapshot(s) of another definition; folding from 0`)
        return null
      }
      const why =
        checksumOf(snapshot.state) !== snapshot.checksum
          ? 'its checksum does not match'
          : snapshot.position > head
            ? `it is at position ${snapshot.position}, past the log's head ${head}`
            : null
      if (why) {
        log.warn(`Projection "${name}" ignores its snapshot (${why}); folding from 0`)
        return null
      }
      const state = codec.decode(snapshot.state)
      this.#restoredFrom = snapshot.position
      this.#writtenPosition = snapshot.position
      return { state, position: snapshot.position }
    } catch (error) {
      log.warn(`Projection "${name}" cannot restore its snapshot; folding from 0`, { error })
      return null
    }
  }

  /**
   * After each batch the fold applied: schedules a checkpoint once one is due. `hold` counts without
   * scheduling (a start's catch-up: one snapshot at its end, not one per 10,000 events on the way).
   */
  folded(count: number, { hold = false } = {}): void {
    this.#sinceWrite += count
    if (hold || this.#sinceWrite < this.#everyEvents || this.#timer || this.#writing || this.#unencodable) return
    const wait = Math.max(0, this.#writtenAt + this.#minIntervalMs - Date.now())
    this.#timer = setTimeout(() => {
      this.#timer = null
      void this.#write()
    }, wait)
    this.#timer.unref?.()
  }

  /** At stop: cancels a pending checkpoint and writes one now if anything was folded since the last. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    while (this.#writing) await this.#writing
    if (this.#sinceWrite > 0 && !this.#unencodable) await this.#write()
  }

  #write(): Promise<void> {
    this.#writing = this.#save().finally(() => {
      this.#writing = null
    })
    return this.#writing
  }

  async #save(): Promise<void> {
    const { name, fingerprint, codec, store, log, capture } = this.#options
    const { state, position } = capture()
    if (position === this.#writtenPosition) return
    const folded = this.#sinceWrite
    this.#writtenAt = Date.now()
    try {
      const text = codec.encode(state) // synchronous: state and position cannot move apart
      if (text.length > this.#maxBytes) {
        throw new Error(`the state is ${text.length} characters, over the ${this.#maxBytes} limit`)
      }
      await store.save({ name, fingerprint, position, state: text, checksum: checksumOf(text) })
      this.#writes++
      this.#writtenPosition = position
      this.#sinceWrite = Math.max(0, this.#sinceWrite - folded)
    } catch (error) {
      this.#failures++
      if (error instanceof UnsnapshottableStateError) this.#unencodable = true
      const then = this.#unencodable ? 'snapshots are off until it restarts' : 'it retries at the next checkpoint'
      log.warn(`Projection "${name}" cannot write its snapshot at ${position}; ${then}`, { error })
    }
  }
}

import { OverloadedError, StorageFaultError, UnexpectedError } from '../../errors.ts'
import type { Logger } from '../../ops/log.ts'
import { SheddingLog } from '../../ops/shedding-log.ts'
import type { StoredEvent } from '../events.ts'
import type { PreparedAppend } from './append.ts'
import type { AppendResult, CommitListener, StoreStats } from './event-store.ts'
import { RecentFailure, storageFailure } from './storage-failure.ts'

/** What one append of a batch came to: its result, or the error only it gets. */
export type AppendOutcome = { ok: true; result: AppendResult } | { ok: false; error: unknown }

/**
 * Writes a batch in one transaction and returns one outcome per append, in order; throws
 * when the transaction as a whole failed (then nothing of the batch was acknowledged). A
 * StorageFaultError means no later write can be made durable either; an engine error that says
 * the disk or server cannot write for now (see storageFailure) fails only this batch.
 */
export type CommitBatch = (appends: readonly PreparedAppend[]) => AppendOutcome[] | Promise<AppendOutcome[]>

export interface GroupCommitOptions {
  /** Appends waiting for a commit before new ones are refused with OverloadedError (counted and logged). */
  maxPending: number
  /** Appends committed in one transaction at most. */
  maxBatch: number
  /** Where a failing commit listener is reported. */
  log: Logger
  /**
   * How long a passing storage failure is reported (readiness) after the last commit it failed.
   * Without an end, a node taken out of rotation for it would get no command to prove it recovered.
   * @default 10000
   */
  reportFailureForMs?: number
}

interface PendingAppend {
  readonly append: PreparedAppend
  readonly resolve: (result: AppendResult) => void
  readonly reject: (error: unknown) => void
}

/**
 * The engine-neutral half of group commit: a bounded queue of appends, one batch in flight at
 * a time (the next one gathers while it commits), stats, and the commit listeners, told once
 * per durable commit before the append promises settle. The engine only writes a batch.
 */
export class GroupCommit {
  readonly #commit: CommitBatch
  readonly #maxPending: number
  readonly #maxBatch: number
  readonly #log: Logger
  readonly #listeners = new Set<CommitListener>()
  #queue: PendingAppend[] = []
  #flushScheduled = false
  #flushing: Promise<void> | null = null
  #closed = false
  #fault: StorageFaultError | null = null
  /** The storage failure the last commit met (a full or read-only disk), until one succeeds. */
  readonly #failing: RecentFailure
  #failedSince = 0
  #stats = { commits: 0, appends: 0, events: 0, storageFailures: 0, queueRefused: 0 }
  readonly #shedding: SheddingLog

  constructor(commit: CommitBatch, options: GroupCommitOptions) {
    this.#commit = commit
    this.#maxPending = options.maxPending
    this.#maxBatch = options.maxBatch
    this.#failing = new RecentFailure(options.reportFailureForMs)
    this.#log = options.log
    this.#shedding = new SheddingLog(options.log, 'Shedding appends: too many wait for a commit')
  }

  /** Queues a prepared append; the promise settles after the commit that holds it. */
  enqueue(append: PreparedAppend): Promise<AppendResult> {
    const refusal = this.#enqueueRefusal()
    if (refusal) {
      append.chain?.settle(false)
      return Promise.reject(refusal)
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ append, resolve, reject })
      this.#scheduleFlush()
    })
  }

  onCommit(listener: CommitListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  stats(): StoreStats {
    return { ...this.#stats }
  }

  /**
   * Why appends are refused for good, or why the last commit failed; null once a commit succeeds or
   * no commit has failed for `reportFailureForMs` (the next one may well succeed: it is tried).
   */
  storageFault(): StorageFaultError | null {
    return this.#fault ?? this.#failing.current()
  }

  /**
   * Refuses every later append with `fault`, found outside a commit (a check between writes); logged
   * once, like a fault a commit meets. Appends already queued are refused when their batch runs.
   */
  refuse(fault: StorageFaultError): void {
    if (this.#fault) return
    this.#fault = fault
    // Logged once: every later append is refused with the same error, without a line each.
    this.#log.error('Event store refuses all further writes', { error: fault })
  }

  /** Commits what is queued, then refuses new appends. */
  async close(): Promise<void> {
    this.#closed = true
    while (this.#queue.length > 0 || this.#flushing) {
      await (this.#flushing ?? this.#flushNow())
    }
  }

  /** Why a new append is refused before it is queued, or null. */
  #enqueueRefusal(): Error | null {
    if (this.#fault) return this.#fault
    if (this.#closed) return new OverloadedError('Cannot append: the event store is closed')
    const waiting = this.#queue.length
    if (waiting < this.#maxPending) return null
    this.#stats.queueRefused++
    this.#shedding.refused({ waiting })
    return new OverloadedError(`Cannot append: ${waiting} appends already waiting for a commit`)
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#flushing) return
    this.#flushScheduled = true
    // setImmediate, not a microtask: lets every caller woken by the previous commit enqueue first.
    setImmediate(() => {
      this.#flushScheduled = false
      void this.#flushNow()
    })
  }

  #flushNow(): Promise<void> {
    if (this.#flushing) return this.#flushing
    const batch = this.#queue.splice(0, this.#maxBatch)
    if (batch.length === 0) return Promise.resolve()
    this.#flushing = this.#run(batch).finally(() => {
      this.#flushing = null
      if (this.#queue.length > 0) this.#scheduleFlush()
    })
    return this.#flushing
  }

  async #run(batch: PendingAppend[]): Promise<void> {
    let outcomes: AppendOutcome[]
    try {
      if (this.#fault) throw this.#fault
      outcomes = await this.#commit(batch.map((pending) => pending.append))
    } catch (cause) {
      const error = this.#refusal(cause)
      for (const pending of batch) {
        pending.append.chain?.settle(false)
        pending.reject(error)
      }
      return
    }
    this.#recovered()
    const committed: StoredEvent[] = []
    for (const outcome of outcomes) {
      if (!outcome.ok) continue
      this.#stats.appends++
      if (!outcome.result.duplicate) committed.push(...outcome.result.events)
    }
    this.#stats.commits++
    this.#stats.events += committed.length
    if (committed.length > 0) this.#notify(committed)
    batch.forEach((pending, index) => {
      const outcome = outcomes[index]
      // Settled before the next batch is written, where appends decided on this one are checked.
      pending.append.chain?.settle(outcome?.ok === true && !outcome.result.duplicate)
      if (outcome?.ok) pending.resolve(outcome.result)
      else pending.reject(outcome?.error)
    })
  }

  /** What the appends of a failed batch are rejected with; logs a storage fault once per period. */
  #refusal(cause: unknown): Error {
    if (cause instanceof StorageFaultError) {
      this.refuse(cause)
      return cause
    }
    const failure = storageFailure(cause)
    if (!failure) return new UnexpectedError('Cannot commit appended events', { cause })
    this.#stats.storageFailures++
    if (!this.#failing.isOpen) {
      this.#failedSince = this.#stats.storageFailures
      // One line per fault period, not a stack per command: the next commit that succeeds ends it.
      this.#log.error('Event store cannot write; refusing appends until a commit succeeds', { error: cause })
    }
    this.#failing.failed(failure)
    return failure
  }

  #recovered(): void {
    if (!this.#failing.isOpen) return
    const failedCommits = this.#stats.storageFailures - this.#failedSince + 1
    this.#failing.succeeded()
    this.#log.info('Event store writes again', { failedCommits })
  }

  #notify(events: readonly StoredEvent[]): void {
    for (const listener of this.#listeners) {
      try {
        listener(events)
      } catch (error) {
        // A faulty listener must not turn a durable commit into a failed append.
        this.#log.error('Commit listener failed', { error })
      }
    }
  }
}

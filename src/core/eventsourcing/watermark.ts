/** Why a wait ended without the position being reached. */
export type WaitFailure = 'timeout' | 'aborted' | 'stopped'

/** A `waitFor` that did not see its position: the caller's timeout, its signal, or the reader stopping. */
export class WaitError extends Error {
  override readonly name = 'WaitError'
  constructor(
    message: string,
    readonly reason: WaitFailure,
  ) {
    super(message)
  }
}

export interface WaitOptions {
  /** Rejects when the position is not reached by then. @default 5000 */
  timeoutMs?: number
  /** Rejects the moment it aborts (a disconnected client's `req.signal`). */
  signal?: AbortSignal
}

interface Waiter {
  readonly position: number
  readonly settle: (failure?: WaitError) => void
}

/**
 * How far a reader has got, and the one place anyone waits for it. The rule, for every reader:
 * `waitFor(p)` resolves once `position >= p`, and otherwise rejects with a `WaitError` saying
 * why: its timeout passed, its signal aborted, or the reader stopped (or never started). Shutdown
 * rejects rather than resolves because the position was not reached; the server drains in-flight
 * requests before it stops its readers, so only a request cut off anyway sees it. Every waiter
 * leaves after its timeout, so a stuck reader does not collect waiters.
 */
export class Watermark {
  readonly name: string
  #position = 0
  #isOpen = false
  readonly #waiters = new Set<Waiter>()

  /** `name` says whose watermark it is in errors, e.g. `projection "todo"`. */
  constructor(name: string) {
    this.name = name
  }

  /** The global position of the last event the reader has made visible. */
  get position(): number {
    return this.#position
  }

  /** True between `open` and `close`: waits are accepted. */
  get isOpen(): boolean {
    return this.#isOpen
  }

  /** Accepts waits from now on, at `position` (a rebuild restarts from 0) or where it stands. */
  open(position = this.#position): void {
    this.#position = position
    this.#isOpen = true
    this.#release()
  }

  /** Moves forward (never back) and resolves every waiter the new position covers. */
  advance(position: number): void {
    if (position <= this.#position) return
    this.#position = position
    this.#release()
  }

  /** The reader stopped: pending waits reject, and new ones too until it opens again. */
  close(): void {
    this.#isOpen = false
    for (const waiter of this.#waiters) waiter.settle(this.#stopped(waiter.position))
  }

  waitFor(position: number, options: WaitOptions = {}): Promise<void> {
    const { timeoutMs = 5_000, signal } = options
    if (this.#position >= position) return Promise.resolve()
    if (!this.#isOpen) return Promise.reject(this.#stopped(position))
    if (signal?.aborted) return Promise.reject(this.#failure(position, 'aborted', 'the wait was aborted'))
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => waiter.settle(this.#failure(position, 'aborted', 'the wait was aborted'))
      const timer = setTimeout(() => {
        waiter.settle(this.#failure(position, 'timeout', `still at ${this.#position} after ${timeoutMs} ms`))
      }, timeoutMs)
      const waiter: Waiter = {
        position,
        settle: (failure) => {
          this.#waiters.delete(waiter)
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          if (failure) reject(failure)
          else resolve()
        },
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(waiter)
    })
  }

  #release(): void {
    for (const waiter of this.#waiters) if (waiter.position <= this.#position) waiter.settle()
  }

  #stopped(position: number): WaitError {
    return this.#failure(position, 'stopped', `it is not running (stopped at ${this.#position})`)
  }

  #failure(position: number, reason: WaitFailure, why: string): WaitError {
    return new WaitError(`Cannot wait for ${this.name} to reach ${position}: ${why}`, reason)
  }
}

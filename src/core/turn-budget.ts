import { OverloadedError } from './errors.ts'

export interface TurnBudgetOptions {
  /** How long one turn of the event loop may run deferrable work before it waits for the next. @default 4 */
  budgetMs?: number
  /** Callers of `admit` waiting for a turn at most; past it `admit` refuses with OverloadedError (a 503). @default 10000 */
  maxWaiting?: number
}

/**
 * Splits a burst of deferrable work (commands) into turns of the event loop, so what is not
 * deferred (pages, probes, feeds) is answered between them. Microtasks never let the loop poll
 * its sockets: a thousand commands woken by one commit would otherwise all run before the next
 * request is read. Callers of `pass()` go on one at a time, in arrival order, while the turn is
 * within its budget (each runs its synchronous part before the clock is read again); past it the
 * rest wait for a later turn (setImmediate, which polls I/O first). `admit()` is the same for
 * work not started yet, and refuses it once too much already waits.
 */
export class TurnBudget {
  readonly #budgetMs: number
  readonly #maxWaiting: number
  readonly #waiting: (() => void)[] = []
  /** How many of `#waiting` came through `admit` (the rest have work under way, never refused). */
  #admitting = 0
  #refused = 0
  #turnStartedAt: number | null = null
  #draining = false

  constructor(options: TurnBudgetOptions = {}) {
    this.#budgetMs = options.budgetMs ?? 4
    this.#maxWaiting = options.maxWaiting ?? 10_000
  }

  /** How many callers wait for their turn. */
  get waiting(): number {
    return this.#waiting.length
  }

  /** How many `admit` calls were refused since the start. */
  get refused(): number {
    return this.#refused
  }

  /** Resolves once the caller may go on: in this turn while it is within budget, else in a later one. */
  pass(): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>()
    this.#waiting.push(resolve)
    if (!this.#draining) {
      this.#draining = true
      queueMicrotask(() => void this.#drain())
    }
    return promise
  }

  /** `pass` for work not started yet: refused with OverloadedError while `maxWaiting` already wait. */
  admit(): Promise<void> {
    if (this.#admitting >= this.#maxWaiting) {
      this.#refused++
      return Promise.reject(new OverloadedError('Too many commands are waiting, try again shortly'))
    }
    this.#admitting++
    return this.pass().finally(() => {
      this.#admitting--
    })
  }

  /** Lets waiters go one by one until the turn's budget is spent, then goes on in the next turn. */
  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      if (this.#elapsedInTurn() >= this.#budgetMs) {
        setImmediate(() => void this.#drain())
        return
      }
      this.#waiting.shift()?.()
      await null // the woken caller's continuation was queued first: it runs before the clock is read
    }
    this.#draining = false
  }

  /** Time since this turn's first look at the clock; the turn ends at the next immediate phase. */
  #elapsedInTurn(): number {
    const now = performance.now()
    if (this.#turnStartedAt === null) {
      this.#turnStartedAt = now
      setImmediate(() => {
        this.#turnStartedAt = null
      })
    }
    return now - this.#turnStartedAt
  }
}

import { OverloadedError } from './errors.ts'

export interface TurnBudgetOptions {
  /** How long one turn of the event loop may run deferrable work before it waits for the next. @default 1 */
  budgetMs?: number
  /** Callers of `admit` waiting for a turn at most; past it `admit` refuses with OverloadedError (a 503). @default 10000 */
  maxWaiting?: number
}

/**
 * Splits a burst of deferrable work (commands) into turns of the event loop, so what is not
 * deferred (pages, probes, feeds) is answered between them. Microtasks never let the loop poll
 * its sockets: a thousand commands woken by one commit would otherwise all run before the next
 * request is read. Callers go on one at a time while the turn is within its budget (each runs
 * its synchronous part before the clock is read again); past it the rest wait for a later turn
 * (setImmediate, which polls I/O first). Work under way (`pass`: a committed command about to
 * answer) goes before work not started (`admit`), so finishing is never queued behind starting;
 * each in arrival order. `admit` refuses new work once too much already waits.
 */
export class TurnBudget {
  readonly #budgetMs: number
  readonly #maxWaiting: number
  readonly #underWay: (() => void)[] = []
  readonly #admissions: (() => void)[] = []
  #refused = 0
  #turnStartedAt: number | null = null
  #draining = false

  constructor(options: TurnBudgetOptions = {}) {
    this.#budgetMs = options.budgetMs ?? 1
    this.#maxWaiting = options.maxWaiting ?? 10_000
  }

  /** How many callers wait for their turn. */
  get waiting(): number {
    return this.#underWay.length + this.#admissions.length
  }

  /** How many `admit` calls were refused since the start. */
  get refused(): number {
    return this.#refused
  }

  /** For work under way: resolves in this turn while it is within budget, else in a later one. Never refused. */
  pass(): Promise<void> {
    return this.#wait(this.#underWay)
  }

  /** For work not started yet: as `pass`, after the work under way; OverloadedError while `maxWaiting` wait. */
  admit(): Promise<void> {
    if (this.#admissions.length >= this.#maxWaiting) {
      this.#refused++
      return Promise.reject(new OverloadedError('Too many commands are waiting, try again shortly'))
    }
    return this.#wait(this.#admissions)
  }

  #wait(queue: (() => void)[]): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>()
    queue.push(resolve)
    if (!this.#draining) {
      this.#draining = true
      queueMicrotask(() => void this.#drain())
    }
    return promise
  }

  /** Lets waiters go one by one until the turn's budget is spent, then goes on in the next turn. */
  async #drain(): Promise<void> {
    while (this.waiting > 0) {
      if (this.#elapsedInTurn() >= this.#budgetMs) {
        setImmediate(() => void this.#drain())
        return
      }
      const next = this.#underWay.shift() ?? this.#admissions.shift()
      next?.()
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

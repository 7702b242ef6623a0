import type { LogFields, Logger } from './log.ts'

export interface FaultPeriodOptions {
  /** While the fault lasts, how often a reminder with the count so far is logged. @default 60000 */
  remindEveryMs?: number
  /** The clock, for tests. @default performance.now */
  now?: () => number
}

/**
 * Logs a background writer's failures by fault period, not by attempt: a writer that retries
 * every second through ten minutes of full disk logs the first failure with its error, a reminder
 * with the count once a minute, and one line when it works again, not six hundred stacks. The
 * owner still counts every failure for its metrics.
 */
export class FaultPeriod {
  readonly #log: Logger
  readonly #remindEveryMs: number
  readonly #now: () => number
  #failures = 0
  #lastLoggedAt = 0

  constructor(log: Logger, options: FaultPeriodOptions = {}) {
    this.#log = log
    this.#remindEveryMs = options.remindEveryMs ?? 60_000
    this.#now = options.now ?? (() => performance.now())
  }

  get isFailing(): boolean {
    return this.#failures > 0
  }

  /** One more failed attempt: logged if it opens the period or a reminder is due. */
  failed(msg: string, error: unknown, fields: LogFields = {}): void {
    this.#failures++
    const now = this.#now()
    if (this.#failures > 1 && now - this.#lastLoggedAt < this.#remindEveryMs) return
    this.#lastLoggedAt = now
    const count = this.#failures > 1 ? { failuresSoFar: this.#failures } : {}
    this.#log.error(msg, { ...fields, ...count, error })
  }

  /** An attempt worked: ends the period with one line, if there was one. */
  recovered(msg: string, fields: LogFields = {}): void {
    if (this.#failures === 0) return
    this.#log.info(msg, { ...fields, failures: this.#failures })
    this.#failures = 0
  }
}

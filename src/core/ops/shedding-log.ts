import type { LogFields, Logger } from './log.ts'

/** Shedding is logged at most once in this long, with the count of refusals since the last line. */
const LOG_WINDOW_MS = 60_000

/**
 * One warning line a minute at most while work is shed, counting the refusals since the last
 * line: a burst of ten thousand 503s is one line, not ten thousand. The line is written after the
 * turn of the event loop the first refusal came in, so it counts the whole of a burst that
 * arrived together. The owner counts every refusal for its metrics.
 */
export class SheddingLog {
  readonly #log: Logger
  readonly #msg: string
  readonly #now: () => number
  #loggedAt = Number.NEGATIVE_INFINITY
  #unlogged = 0
  #fields: LogFields = {}
  #scheduled = false

  constructor(log: Logger, msg: string, now: () => number = () => performance.now()) {
    this.#log = log
    this.#msg = msg
    this.#now = now
  }

  /** One more refusal; `fields` (the latest given) go on the line. */
  refused(fields: LogFields = {}): void {
    this.#unlogged++
    this.#fields = fields
    if (this.#scheduled || this.#now() - this.#loggedAt < LOG_WINDOW_MS) return
    this.#scheduled = true
    setImmediate(() => {
      this.#log.warn(this.#msg, { refused: this.#unlogged, ...this.#fields })
      this.#loggedAt = this.#now()
      this.#unlogged = 0
      this.#scheduled = false
    })
  }
}

import type { DuckDBConnection } from '@duckdb/node-api'

export type StopReason = 'timeout' | 'cancelled'

/** How often a stopped query is interrupted again until it has handed its connection back. */
export const INTERRUPT_REPEAT_MS = 20

/**
 * One query's time limit and cancel signal, from the moment it is submitted: waiting for a
 * connection counts, so a queue of slow queries cannot stretch anyone's limit.
 *
 * Once the query must stop, its connection is interrupted at once and then again every
 * INTERRUPT_REPEAT_MS until `dispose()`. One interrupt is not enough: DuckDB clears the flag when
 * a statement starts, so an interrupt that lands while the statement is still queued for a native
 * worker thread (or between the check and the query) is lost, and the query would run unbounded.
 */
export class QueryDeadline {
  readonly #controller = new AbortController()
  readonly #timer: ReturnType<typeof setTimeout>
  readonly #signal: AbortSignal | undefined
  readonly #onAbort = () => this.#stop('cancelled')
  #reason: StopReason | null = null
  #connection: DuckDBConnection | null = null
  #repeat: ReturnType<typeof setInterval> | null = null

  constructor(timeoutMs: number, signal?: AbortSignal) {
    this.#timer = setTimeout(() => this.#stop('timeout'), timeoutMs)
    this.#signal = signal
    if (signal?.aborted) this.#stop('cancelled')
    else signal?.addEventListener('abort', this.#onAbort, { once: true })
  }

  /** Why the query must stop, or null while it may run. */
  get reason(): StopReason | null {
    return this.#reason
  }

  /** Aborts when the query must stop: pass it to whatever the query waits on. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** The connection the query now runs on: interrupted from now on whenever the query must stop. */
  guard(connection: DuckDBConnection): void {
    this.#connection = connection
    if (this.#reason) this.#interruptUntilDisposed()
  }

  dispose(): void {
    clearTimeout(this.#timer)
    if (this.#repeat) clearInterval(this.#repeat)
    this.#repeat = null
    this.#connection = null
    this.#signal?.removeEventListener('abort', this.#onAbort)
  }

  #stop(reason: StopReason): void {
    if (this.#reason) return
    this.#reason = reason
    this.#controller.abort()
    if (this.#connection) this.#interruptUntilDisposed()
  }

  #interruptUntilDisposed(): void {
    if (this.#repeat) return
    const interrupt = () => this.#connection?.interrupt()
    interrupt()
    this.#repeat = setInterval(interrupt, INTERRUPT_REPEAT_MS)
  }
}

import { availableParallelism } from 'node:os'
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { OverloadedError } from '../errors.ts'

export interface ConnectionPoolOptions {
  /** Connections (so queries) running at once. @default 4 */
  size?: number
  /** Callers allowed to wait for a connection before new ones are refused. @default 64 */
  maxWaiting?: number
  /** Prepares each new connection (e.g. its default database) before its first use. */
  onConnect?: (connection: DuckDBConnection) => Promise<void>
}

/**
 * Native worker threads the DuckDB binding runs its calls on: UV_THREADPOOL_SIZE when set, else
 * (measured with Bun 1.4 on one and two cores) two, or one per core. A query holds one of them for
 * as long as it runs, so while every thread runs a slow query, nothing else reaches DuckDB at all:
 * not ingestion, not the dashboards, not even a new connection.
 */
export function nativeWorkerThreads(): number {
  const configured = Number(process.env.UV_THREADPOOL_SIZE)
  return Number.isSafeInteger(configured) && configured > 0 ? configured : Math.max(2, availableParallelism())
}

interface Waiter {
  readonly resolve: (connection: DuckDBConnection) => void
  readonly reject: (error: unknown) => void
}

/**
 * A bounded set of DuckDB connections. One query owns a connection for its whole run, so
 * `interrupt()` on that connection cancels exactly that query and nothing else.
 */
export class ConnectionPool {
  readonly #instance: DuckDBInstance
  readonly #size: number
  readonly #maxWaiting: number
  readonly #onConnect: ((connection: DuckDBConnection) => Promise<void>) | undefined
  readonly #idle: DuckDBConnection[] = []
  readonly #waiting: Waiter[] = []
  readonly #active = new Set<DuckDBConnection>()
  #drained: (() => void) | null = null
  #opened = 0
  #closed = false

  constructor(instance: DuckDBInstance, options: ConnectionPoolOptions = {}) {
    const { size = 4, maxWaiting = 64, onConnect } = options
    this.#instance = instance
    this.#size = size
    this.#maxWaiting = maxWaiting
    this.#onConnect = onConnect
  }

  get isClosed(): boolean {
    return this.#closed
  }

  /** A connection of the caller's own; `signal` gives up waiting for one (the caller's deadline). */
  async acquire(signal?: AbortSignal): Promise<DuckDBConnection> {
    if (this.#closed) throw new OverloadedError('Cannot run query: analytics is shutting down')
    signal?.throwIfAborted()
    const idle = this.#idle.pop()
    if (idle) return this.#activate(idle)
    if (this.#opened < this.#size) return this.#activate(await this.#open())
    if (this.#waiting.length >= this.#maxWaiting) {
      throw new OverloadedError(`Cannot run query: ${this.#waiting.length} queries already waiting`)
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (connection) => {
          signal?.removeEventListener('abort', giveUp)
          resolve(this.#activate(connection))
        },
        reject,
      }
      const giveUp = () => {
        const index = this.#waiting.indexOf(waiter)
        if (index >= 0) this.#waiting.splice(index, 1)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', giveUp, { once: true })
      this.#waiting.push(waiter)
    })
  }

  /** Hands the connection back; `discard` closes it instead (its state is unknown after a failure). */
  release(connection: DuckDBConnection, discard = false): void {
    this.#active.delete(connection)
    if (discard) {
      connection.closeSync()
      this.#opened--
      this.#replaceDiscarded()
    } else {
      const waiter = this.#closed ? undefined : this.#waiting.shift()
      if (waiter) waiter.resolve(connection)
      else if (this.#closed) connection.closeSync()
      else this.#idle.push(connection)
    }
    if (this.#closed && this.#active.size === 0) this.#drained?.()
  }

  /**
   * Interrupts running queries and waits (bounded) for them to hand their connections back:
   * closing the database under a query still running on a worker thread is not safe.
   */
  async close(timeoutMs = 2_000): Promise<void> {
    this.#closed = true
    for (const connection of this.#idle.splice(0)) connection.closeSync()
    for (const waiter of this.#waiting.splice(0)) {
      waiter.reject(new OverloadedError('Cannot run query: analytics is shutting down'))
    }
    if (this.#active.size === 0) return
    // Interrupt again and again: a query that was between statements when first interrupted
    // (the flag is reset when the next one starts) is caught by the next round.
    const interruptAll = () => {
      for (const connection of this.#active) connection.interrupt()
    }
    interruptAll()
    const repeat = setInterval(interruptAll, 50)
    await new Promise<void>((resolve) => {
      this.#drained = resolve
      setTimeout(resolve, timeoutMs)
    })
    clearInterval(repeat)
  }

  async #open(): Promise<DuckDBConnection> {
    this.#opened++
    let connection: DuckDBConnection | null = null
    try {
      connection = await this.#instance.connect()
      await this.#onConnect?.(connection)
      return connection
    } catch (error) {
      connection?.closeSync()
      this.#opened--
      throw error
    }
  }

  /**
   * Opens a connection in place of a discarded one for whoever waits; handed on as a release is,
   * so a waiter that gave up while it opened never strands it.
   */
  #replaceDiscarded(): void {
    if (this.#closed || this.#waiting.length === 0) return
    this.#open().then(
      (connection) => this.release(this.#activate(connection)),
      (error: unknown) => this.#waiting.shift()?.reject(error),
    )
  }

  #activate(connection: DuckDBConnection): DuckDBConnection {
    this.#active.add(connection)
    return connection
  }
}

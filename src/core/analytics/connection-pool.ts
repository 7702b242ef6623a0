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
 * A bounded set of DuckDB connections. One query owns a connection for its whole run, so
 * `interrupt()` on that connection cancels exactly that query and nothing else.
 */
export class ConnectionPool {
  readonly #instance: DuckDBInstance
  readonly #size: number
  readonly #maxWaiting: number
  readonly #onConnect: ((connection: DuckDBConnection) => Promise<void>) | undefined
  readonly #idle: DuckDBConnection[] = []
  readonly #waiting: ((connection: DuckDBConnection) => void)[] = []
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

  async acquire(): Promise<DuckDBConnection> {
    if (this.#closed) throw new OverloadedError('Cannot run query: analytics is shutting down')
    const idle = this.#idle.pop()
    if (idle) return this.#activate(idle)
    if (this.#opened < this.#size) return this.#activate(await this.#open())
    if (this.#waiting.length >= this.#maxWaiting) {
      throw new OverloadedError(`Cannot run query: ${this.#waiting.length} queries already waiting`)
    }
    return new Promise((resolve) => this.#waiting.push((connection) => resolve(this.#activate(connection))))
  }

  release(connection: DuckDBConnection): void {
    this.#active.delete(connection)
    const waiter = this.#closed ? undefined : this.#waiting.shift()
    if (waiter) waiter(connection)
    else if (this.#closed) connection.closeSync()
    else this.#idle.push(connection)
    if (this.#closed && this.#active.size === 0) this.#drained?.()
  }

  /**
   * Interrupts running queries and waits (bounded) for them to hand their connections back:
   * closing the database under a query still running on a worker thread is not safe.
   */
  async close(timeoutMs = 2_000): Promise<void> {
    this.#closed = true
    for (const connection of this.#idle.splice(0)) connection.closeSync()
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

  #activate(connection: DuckDBConnection): DuckDBConnection {
    this.#active.add(connection)
    return connection
  }
}

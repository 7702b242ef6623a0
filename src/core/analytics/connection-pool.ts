import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { OverloadedError } from '../errors.ts'

export interface ConnectionPoolOptions {
  /** Connections (so queries) running at once. @default 4 */
  size?: number
  /** Callers allowed to wait for a connection before new ones are refused. @default 64 */
  maxWaiting?: number
}

/**
 * A bounded set of DuckDB connections. One query owns a connection for its whole run, so
 * `interrupt()` on that connection cancels exactly that query and nothing else.
 */
export class ConnectionPool {
  readonly #instance: DuckDBInstance
  readonly #size: number
  readonly #maxWaiting: number
  readonly #idle: DuckDBConnection[] = []
  readonly #waiting: ((connection: DuckDBConnection) => void)[] = []
  #opened = 0
  #closed = false

  constructor(instance: DuckDBInstance, options: ConnectionPoolOptions = {}) {
    const { size = 4, maxWaiting = 64 } = options
    this.#instance = instance
    this.#size = size
    this.#maxWaiting = maxWaiting
  }

  async acquire(): Promise<DuckDBConnection> {
    if (this.#closed) throw new OverloadedError('Cannot run query: analytics is shutting down')
    const idle = this.#idle.pop()
    if (idle) return idle
    if (this.#opened < this.#size) {
      this.#opened++
      return this.#instance.connect()
    }
    if (this.#waiting.length >= this.#maxWaiting) {
      throw new OverloadedError(`Cannot run query: ${this.#waiting.length} queries already waiting`)
    }
    return new Promise((resolve) => this.#waiting.push(resolve))
  }

  release(connection: DuckDBConnection): void {
    const waiter = this.#waiting.shift()
    if (waiter) waiter(connection)
    else if (this.#closed) connection.closeSync()
    else this.#idle.push(connection)
  }

  close(): void {
    this.#closed = true
    for (const connection of this.#idle.splice(0)) connection.closeSync()
  }
}

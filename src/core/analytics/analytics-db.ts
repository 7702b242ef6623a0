import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api'
import { OverloadedError, ValidationError } from '../errors.ts'
import { ConnectionPool, nativeWorkerThreads } from './connection-pool.ts'
import { createExploreCatalog, EXPLORE_DATABASE, type ExploreCatalog, type ExploreTable } from './explore-catalog.ts'
import { QueryDeadline } from './query-deadline.ts'
import { AnalyticsQueryError, describeDuckDbError } from './query-errors.ts'
import { type QueryResult, type ResultLimits, readResult } from './query-result.ts'
import { applySandbox, type SandboxStatus } from './sandbox.ts'
import { assertVisitorSql } from './visitor-sql.ts'

export interface AnalyticsDbOptions {
  /** The DuckDB file, or `:memory:` (tests). @default ':memory:' */
  path?: string
  /** The directory of the bundled sample files: the only local files queries may read. */
  samplesDir?: string
  /** URL prefixes queries may read when the httpfs extension loads. @default [] */
  remotePrefixes?: readonly string[]
  /** DuckDB's memory limit for the whole database. @default '512MB' */
  memoryLimit?: string
  /** DuckDB worker threads. @default 2 */
  threads?: number
  /** Connections running the server's own queries (dashboards) at once. @default 4 */
  poolSize?: number
  /**
   * Visitor queries running at once; more wait (their time limit runs meanwhile). The default
   * leaves one native worker thread free, so ingestion and dashboards never wait behind visitors.
   */
  visitorConnections?: number
  /** Per-query timeout, from submission. @default 10000 */
  timeoutMs?: number
  /** Rows returned at most; more are cut off and `truncated` is set. @default 10000 */
  rowLimit?: number
  /** Result size at most, in characters of JSON; past it rows are cut off too. @default 4 MiB */
  resultBytes?: number
  /** The tables visitor queries see, as views without their private columns. @default [] */
  exploreTables?: readonly ExploreTable[]
}

export interface QueryOptions {
  params?: readonly DuckDBValue[]
  timeoutMs?: number
  rowLimit?: number
  /** Aborting it interrupts the query in DuckDB. */
  signal?: AbortSignal
  /** Receives the running query's connection, e.g. to read `progress`. */
  onStart?: (connection: DuckDBConnection) => void
}

export const DEFAULT_RESULT_BYTES = 4 * 1024 * 1024

const defaultVisitorConnections = () => Math.min(4, Math.max(1, nativeWorkerThreads() - 1))

/**
 * The one DuckDB database: opened once, sandboxed in DuckDB itself, queried through bounded
 * pools. The binding runs queries on native worker threads, so the event loop never waits on
 * them. `writer` is the single connection that ingestion appends with. Visitor queries have a
 * pool of their own whose connections default to the `explore` database.
 */
export class AnalyticsDb {
  readonly #instance: DuckDBInstance
  readonly #pool: ConnectionPool
  readonly #visitors: ConnectionPool
  readonly #timeoutMs: number
  readonly #rowLimit: number
  readonly #resultBytes: number
  readonly writer: DuckDBConnection
  readonly sandbox: SandboxStatus
  readonly explore: ExploreCatalog

  private constructor(
    instance: DuckDBInstance,
    writer: DuckDBConnection,
    sandbox: SandboxStatus,
    explore: ExploreCatalog,
    options: AnalyticsDbOptions,
  ) {
    const { poolSize = 4, visitorConnections = defaultVisitorConnections(), timeoutMs = 10_000 } = options
    this.#instance = instance
    this.#pool = new ConnectionPool(instance, { size: poolSize })
    this.#visitors = new ConnectionPool(instance, {
      size: visitorConnections,
      onConnect: (connection) => connection.run(`USE ${EXPLORE_DATABASE}`).then(() => undefined),
    })
    this.#timeoutMs = timeoutMs
    this.#rowLimit = options.rowLimit ?? 10_000
    this.#resultBytes = options.resultBytes ?? DEFAULT_RESULT_BYTES
    this.writer = writer
    this.sandbox = sandbox
    this.explore = explore
  }

  /**
   * Opens the database. `setup` runs with full rights before the sandbox locks (schema); then
   * the explore views are made, and after that no connection can change settings or leave the sandbox.
   */
  static async open(
    options: AnalyticsDbOptions = {},
    setup?: (writer: DuckDBConnection) => Promise<void>,
  ): Promise<AnalyticsDb> {
    const { path = ':memory:', memoryLimit = '512MB', threads = 2 } = options
    const instance = await DuckDBInstance.create(path, {
      // Extensions are never fetched or loaded behind the operator's back.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      memory_limit: memoryLimit,
      threads: String(threads),
    })
    const writer = await instance.connect()
    try {
      await setup?.(writer)
      const explore = await createExploreCatalog(writer, options.exploreTables ?? [], options.samplesDir)
      const sandbox = await applySandbox(writer, {
        samplesDir: options.samplesDir,
        sampleFiles: explore.sampleFiles,
        remotePrefixes: options.remotePrefixes ?? [],
      })
      return new AnalyticsDb(instance, writer, sandbox, explore, options)
    } catch (error) {
      writer.closeSync()
      instance.closeSync()
      throw error
    }
  }

  /** Runs a query the server wrote itself (dashboards): limits apply, the statement check does not. */
  query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    return this.#run(this.#pool, options, (connection, limits, started) =>
      connection.stream(sql, [...(options.params ?? [])]).then((result) => readResult(result, limits, started)),
    )
  }

  /**
   * Checks a query a visitor wrote, without running it: the trimmed query, or a ValidationError
   * saying why it may not run. Lets a caller refuse it before recording anything.
   */
  checkUntrusted(sql: string): Promise<string> {
    return this.#run(this.#pool, {}, (connection) => assertVisitorSql(connection, sql, this.explore))
  }

  /**
   * Runs a query a visitor wrote: refused unless DuckDB parses it as one read-only query over
   * the explore views, then run in a read-only transaction on a visitor connection.
   */
  queryUntrusted(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    return this.#run(this.#visitors, options, async (connection, limits, started, deadline) => {
      const query = await assertVisitorSql(connection, sql, this.explore)
      // An interrupt that landed while the statement was checked hit nothing: stop here instead.
      if (deadline.reason) throw new Error('Stopped before the query started')
      // Even a statement that fooled the check cannot write to a database in this transaction.
      await connection.run('BEGIN TRANSACTION READ ONLY')
      try {
        options.onStart?.(connection)
        return await readResult(await connection.stream(query), limits, started)
      } finally {
        await connection.run('ROLLBACK')
      }
    })
  }

  /** A connection of its own for a server-side writer (command samples); the caller closes it. */
  connect(): Promise<DuckDBConnection> {
    return this.#instance.connect()
  }

  /** Interrupts running queries, waits briefly for them, then closes the database. */
  async close(): Promise<void> {
    await Promise.all([this.#pool.close(), this.#visitors.close()])
    this.writer.closeSync()
    this.#instance.closeSync()
  }

  /**
   * Runs `body` on a connection of `pool` under the query's deadline, and turns whatever stopped
   * it into an AnalyticsQueryError for the page. A connection whose query failed in DuckDB is
   * discarded rather than reused: after an interrupt its transaction state is not worth guessing.
   */
  async #run<T>(
    pool: ConnectionPool,
    options: QueryOptions,
    body: (connection: DuckDBConnection, limits: ResultLimits, started: number, deadline: QueryDeadline) => Promise<T>,
  ): Promise<T> {
    const { timeoutMs = this.#timeoutMs, rowLimit = this.#rowLimit, signal } = options
    const started = performance.now()
    const deadline = new QueryDeadline(timeoutMs, signal)
    let connection: DuckDBConnection | null = null
    let failed = false
    try {
      connection = await pool.acquire(deadline.signal)
      deadline.guard(connection)
      const value = await body(connection, { rows: rowLimit, bytes: this.#resultBytes }, started, deadline)
      // A stream that was interrupted can end as if it were complete: never pass it off as a result.
      if (deadline.reason) throw new Error('Stopped while reading the result')
      return value
    } catch (error) {
      if (error instanceof ValidationError || error instanceof OverloadedError) throw error
      failed = true
      if (deadline.reason === 'timeout') {
        throw new AnalyticsQueryError(`Query stopped after ${timeoutMs} ms: the time limit`, 'timeout', {
          cause: error,
        })
      }
      if (deadline.reason === 'cancelled')
        throw new AnalyticsQueryError('Query cancelled', 'cancelled', { cause: error })
      throw new AnalyticsQueryError(describeDuckDbError(error), 'failed', { cause: error })
    } finally {
      deadline.dispose()
      if (connection) pool.release(connection, failed)
    }
  }
}

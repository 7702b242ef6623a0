import { type DuckDBConnection, DuckDBInstance, type DuckDBValue, StatementType } from '@duckdb/node-api'
import { ValidationError } from '../errors.ts'
import { ConnectionPool } from './connection-pool.ts'
import { AnalyticsQueryError, describeDuckDbError } from './query-errors.ts'
import { type QueryResult, readResult } from './query-result.ts'
import { assertReadOnlySql } from './read-only-sql.ts'
import { applySandbox, type SandboxStatus } from './sandbox.ts'

export interface AnalyticsDbOptions {
  /** The DuckDB file, or `:memory:` (tests). @default ':memory:' */
  path?: string
  /** The only directory queries may read files from (the bundled sample data). */
  samplesDir?: string
  /** URL prefixes queries may read when the httpfs extension loads. @default [] */
  remotePrefixes?: readonly string[]
  /** DuckDB's memory limit for the whole database. @default '512MB' */
  memoryLimit?: string
  /** DuckDB worker threads. @default 2 */
  threads?: number
  /** Connections running queries at once. @default 4 */
  poolSize?: number
  /** Per-query timeout. @default 10000 */
  timeoutMs?: number
  /** Rows returned at most; more are cut off and `truncated` is set. @default 10000 */
  rowLimit?: number
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

const READ_ONLY_TYPES = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN])

/**
 * The one DuckDB database: opened once, sandboxed in DuckDB itself, queried through a bounded
 * pool. The binding runs queries on worker threads, so the event loop never waits on them.
 * `writer` is the single connection that ingestion appends with.
 */
export class AnalyticsDb {
  readonly #instance: DuckDBInstance
  readonly #pool: ConnectionPool
  readonly #timeoutMs: number
  readonly #rowLimit: number
  readonly writer: DuckDBConnection
  readonly sandbox: SandboxStatus

  private constructor(
    instance: DuckDBInstance,
    writer: DuckDBConnection,
    sandbox: SandboxStatus,
    options: AnalyticsDbOptions,
  ) {
    const { poolSize = 4, timeoutMs = 10_000, rowLimit = 10_000 } = options
    this.#instance = instance
    this.#pool = new ConnectionPool(instance, { size: poolSize })
    this.#timeoutMs = timeoutMs
    this.#rowLimit = rowLimit
    this.writer = writer
    this.sandbox = sandbox
  }

  /**
   * Opens the database. `setup` runs with full rights before the sandbox locks (schema, views
   * over the sample files); after that no connection can change settings or leave the sandbox.
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
      const sandbox = await applySandbox(writer, {
        samplesDir: options.samplesDir,
        remotePrefixes: options.remotePrefixes ?? [],
      })
      return new AnalyticsDb(instance, writer, sandbox, options)
    } catch (error) {
      writer.closeSync()
      instance.closeSync()
      throw error
    }
  }

  /** Runs a query the server wrote itself (dashboards): limits apply, the statement check does not. */
  query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    return this.#run(sql, options, false)
  }

  /** Runs a query a user wrote: refused unless DuckDB parses it as one read-only statement. */
  queryUntrusted(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    return this.#run(assertReadOnlySql(sql), options, true)
  }

  /** A connection of its own for a server-side writer (command samples); the caller closes it. */
  connect(): Promise<DuckDBConnection> {
    return this.#instance.connect()
  }

  /** Interrupts running queries, waits briefly for them, then closes the database. */
  async close(): Promise<void> {
    await this.#pool.close()
    this.writer.closeSync()
    this.#instance.closeSync()
  }

  async #run(sql: string, options: QueryOptions, untrusted: boolean): Promise<QueryResult> {
    const { params = [], timeoutMs = this.#timeoutMs, rowLimit = this.#rowLimit, signal, onStart } = options
    if (signal?.aborted) throw new AnalyticsQueryError('Query cancelled before it started', 'cancelled')
    const connection = await this.#pool.acquire()
    // A record, not a `let`: the timer and the signal set it from callbacks.
    const state: { stopped: 'timeout' | 'cancelled' | null } = { stopped: this.#pool.isClosed ? 'cancelled' : null }
    const stop = (why: 'timeout' | 'cancelled') => {
      state.stopped ??= why
      connection.interrupt()
    }
    const timer = setTimeout(() => stop('timeout'), timeoutMs)
    const onAbort = () => stop('cancelled')
    signal?.addEventListener('abort', onAbort, { once: true })
    const started = performance.now()
    try {
      if (untrusted) await assertParsedReadOnly(connection, sql)
      // An interrupt that landed while the statement was checked hit nothing: stop here instead.
      if (state.stopped) throw new Error('Stopped before the query started')
      onStart?.(connection)
      const reader = await connection.streamAndReadUntil(sql, rowLimit + 1, params as DuckDBValue[])
      return readResult(reader, rowLimit, performance.now() - started)
    } catch (error) {
      if (error instanceof ValidationError) throw error
      if (state.stopped === 'timeout') {
        throw new AnalyticsQueryError(`Query stopped after ${timeoutMs} ms: the time limit`, 'timeout', {
          cause: error,
        })
      }
      if (state.stopped === 'cancelled') throw new AnalyticsQueryError('Query cancelled', 'cancelled', { cause: error })
      throw new AnalyticsQueryError(describeDuckDbError(error), 'failed', { cause: error })
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      this.#pool.release(connection)
    }
  }
}

/** DuckDB's own parser decides what the statement is; the text check only gave a nicer message. */
async function assertParsedReadOnly(connection: DuckDBConnection, sql: string): Promise<void> {
  let statementType: StatementType
  try {
    const extracted = await connection.extractStatements(sql)
    if (extracted.count !== 1) {
      throw new ValidationError('Cannot run query: it holds more than one statement', { sql: 'Run one statement' })
    }
    const prepared = await extracted.prepare(0)
    statementType = prepared.statementType
    prepared.destroySync()
  } catch (error) {
    if (error instanceof ValidationError) throw error
    throw new AnalyticsQueryError(describeDuckDbError(error), 'failed', { cause: error })
  }
  if (!READ_ONLY_TYPES.has(statementType)) {
    const name = StatementType[statementType] ?? 'this'
    throw new ValidationError(`Cannot run query: ${name} statements are not allowed; only read-only queries run here`, {
      sql: 'Only read-only queries run here',
    })
  }
}

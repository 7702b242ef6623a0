import type { DuckDBConnection } from '@duckdb/node-api'
import type { CommandOutcome } from '../eventsourcing/commands.ts'
import { FaultPeriod } from '../ops/fault-period.ts'
import type { Logger } from '../ops/log.ts'
import { type AppendedTable, appendRows, type Cell } from './event-tables.ts'

/**
 * Command latency is not in the event log (refused commands write nothing, and timing is not
 * domain data), so it is sampled from the CommandHandler's `observe` hook into its own table.
 * It is telemetry, not a projection: it starts empty on a fresh database and is not rebuilt.
 */
export const COMMANDS_TABLE: AppendedTable = {
  name: 'commands',
  columns: { recorded_at: 'TIMESTAMP', stream_type: 'VARCHAR', outcome: 'VARCHAR', duration_ms: 'DOUBLE' },
}

/** The pseudo event type a cached query names to be evicted when new samples are written. */
export const COMMAND_SAMPLES = '$command-samples'

export interface CommandSamplesOptions {
  /** Samples held before the oldest are dropped (and counted, as are those of a failed write). @default 10000 */
  maxPending?: number
  /** How often the buffer is written. @default 1000 */
  flushMs?: number
  now?: () => number
  /** Called after samples were written (the result cache evicts COMMAND_SAMPLES). */
  onFlush?: () => void
  log: Logger
}

export class CommandSamples {
  readonly #connection: DuckDBConnection
  readonly #maxPending: number
  readonly #now: () => number
  readonly #onFlush: (() => void) | undefined
  readonly #writes: FaultPeriod
  readonly #timer: ReturnType<typeof setInterval>
  #pending: (readonly [number, readonly Cell[]])[] = []
  #sequence = 0
  #dropped = 0
  #flushing: Promise<void> | null = null

  constructor(connection: DuckDBConnection, options: CommandSamplesOptions) {
    const { maxPending = 10_000, flushMs = 1000, now = Date.now, onFlush, log } = options
    this.#writes = new FaultPeriod(log)
    this.#connection = connection
    this.#maxPending = maxPending
    this.#now = now
    this.#onFlush = onFlush
    this.#timer = setInterval(() => void this.flush(), flushMs)
    this.#timer.unref?.()
  }

  get dropped(): number {
    return this.#dropped
  }

  /** Pass as (or call from) `CommandHandler`'s `observe` option. Never throws, never blocks. */
  readonly record = (outcome: CommandOutcome, at = this.#now()): void => {
    if (this.#pending.length >= this.#maxPending) {
      this.#pending.shift()
      this.#dropped++
    }
    // The position column of a sample is just a sequence number; samples are not events.
    this.#pending.push([++this.#sequence, [at, outcome.streamType, outcome.outcome, outcome.durationMs]])
  }

  /** Writes what is buffered; concurrent calls share one write. */
  flush(): Promise<void> {
    this.#flushing ??= this.#write().finally(() => {
      this.#flushing = null
    })
    return this.#flushing
  }

  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.flush()
    this.#connection.closeSync()
  }

  async #write(): Promise<void> {
    if (this.#pending.length === 0) return
    const rows = this.#pending
    this.#pending = []
    try {
      const appender = await this.#connection.createAppender(COMMANDS_TABLE.name)
      appendRows(appender, COMMANDS_TABLE, rows)
      appender.closeSync()
      this.#onFlush?.()
      this.#writes.recovered('Command samples are recorded in analytics again')
    } catch (error) {
      // Telemetry, not data: the samples are counted as dropped rather than held for a retry.
      this.#dropped += rows.length
      this.#writes.failed('Cannot record command samples in analytics; dropping them', error, { rows: rows.length })
    }
  }
}

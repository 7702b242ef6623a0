import type { Database } from 'bun:sqlite'

/** The first answer to a request under an Idempotency-Key, as replayed to its retries. */
export interface RecordedAnswer {
  readonly requestHash: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array | null
  /** Set when the answer was an error: the replay throws the same error, answered as a page or toast. */
  readonly errorMessage: string | null
}

interface AnswerRow {
  request_hash: string
  status: number
  headers: string
  body: Uint8Array | null
  error_message: string | null
  recorded_at: number
}

/** Rows one sweep deletes at most: a sweep runs on the event loop. */
const SWEEP_BATCH = 1_000
/** How often the log sweeps at most (more often only when the window is shorter). */
const SWEEP_EVERY_MS = 60_000

const FIND = `SELECT request_hash, status, headers, body, error_message, recorded_at
  FROM idempotent_requests WHERE scope = ?`
const RECORD = `INSERT OR REPLACE INTO idempotent_requests
  (scope, request_hash, status, headers, body, error_message, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
const FORGET = 'DELETE FROM idempotent_requests WHERE scope = ?'
// The ids `idem:<scope>.<n>` sort between `idem:<scope>.` and `idem:<scope>/`: a primary-key range.
const COMMANDS = 'command_id >= ?1 AND command_id < ?2'
const HAS_STALE_COMMANDS = `SELECT 1 FROM command_log WHERE ${COMMANDS} AND created_at < ?3 LIMIT 1`
const FORGET_COMMANDS = `DELETE FROM command_log WHERE ${COMMANDS} AND created_at < ?3`
const SWEEP_ANSWERS = `DELETE FROM idempotent_requests WHERE scope IN
  (SELECT scope FROM idempotent_requests WHERE recorded_at < ? LIMIT ${SWEEP_BATCH})`
// By age through the partial index of migration 0004 (its literal bounds): SQLite would otherwise
// walk every key's ids by primary key, and most of them are still young.
const SWEEP_COMMANDS = `DELETE FROM command_log WHERE command_id IN (SELECT command_id FROM command_log
  INDEXED BY command_log_idempotent_by_age
  WHERE command_id >= 'idem:' AND command_id < 'idem;' AND created_at < ? LIMIT ${SWEEP_BATCH})`

/** The base of the command ids a request under an Idempotency-Key appends with. */
export const commandIdBase = (scope: string): string => `idem:${scope}`

export interface IdempotencyLogOptions {
  readonly windowMs: number
  /** @default Date.now */
  readonly now?: () => number
}

/**
 * The durable half of `Idempotency-Key`, in the app's SQLite database: each key's first answer
 * for the window, and the expiry of the command ids derived from it. Once a key's window has
 * passed, its answer and its command ids are forgotten together, so the key is new again.
 */
export class IdempotencyLog {
  readonly #db: Database
  readonly #windowMs: number
  readonly #now: () => number
  #lastSweep = 0

  constructor(db: Database, { windowMs, now = Date.now }: IdempotencyLogOptions) {
    this.#db = db
    this.#windowMs = windowMs
    this.#now = now
  }

  /**
   * The key's answer within the window, or null when the key is new. An expired answer is
   * forgotten first, with its command ids; so are command ids older than the window that no
   * answer was recorded for (a crash between the commit and the answer).
   */
  find(scope: string): RecordedAnswer | null {
    const cutoff = this.#now() - this.#windowMs
    const row = this.#db.query<AnswerRow, [string]>(FIND).get(scope)
    if (row && row.recorded_at >= cutoff) {
      const { request_hash, status, headers, body, error_message } = row
      return { requestHash: request_hash, status, headers: JSON.parse(headers), body, errorMessage: error_message }
    }
    if (row) this.#forget(scope, Number.POSITIVE_INFINITY)
    else if (this.#hasStaleCommands(scope, cutoff)) this.#forget(scope, cutoff)
    return null
  }

  record(scope: string, answer: RecordedAnswer): void {
    const { requestHash, status, headers, body, errorMessage } = answer
    this.#db.query(RECORD).run(scope, requestHash, status, JSON.stringify(headers), body, errorMessage, this.#now())
    this.#sweepIfDue()
  }

  /** Deletes what has expired, a bounded batch of each table; due at most once a minute. */
  #sweepIfDue(): void {
    const now = this.#now()
    if (now - this.#lastSweep < Math.min(SWEEP_EVERY_MS, this.#windowMs)) return
    this.#lastSweep = now
    const cutoff = now - this.#windowMs
    this.#db.transaction(() => {
      this.#db.query(SWEEP_ANSWERS).run(cutoff)
      this.#db.query(SWEEP_COMMANDS).run(new Date(cutoff).toISOString())
    })()
  }

  #hasStaleCommands(scope: string, cutoff: number): boolean {
    const [first, end] = commandRange(scope)
    return this.#db.query(HAS_STALE_COMMANDS).get(first, end, new Date(cutoff).toISOString()) !== null
  }

  /** Forgets the key's answer and its command ids created before `before` (ms). */
  #forget(scope: string, before: number): void {
    const [first, end] = commandRange(scope)
    // '~' sorts after every ISO time: all of them.
    const createdBefore = before === Number.POSITIVE_INFINITY ? '~' : new Date(before).toISOString()
    this.#db.transaction(() => {
      this.#db.query(FORGET).run(scope)
      this.#db.query(FORGET_COMMANDS).run(first, end, createdBefore)
    })()
  }
}

function commandRange(scope: string): [string, string] {
  const base = commandIdBase(scope)
  return [`${base}.`, `${base}/`]
}

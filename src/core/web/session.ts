import type { Database } from 'bun:sqlite'
import { StorageFaultError } from '../errors.ts'
import { FileIdentity } from '../eventsourcing/store/file-identity.ts'
import { RecentFailure, storageFailure } from '../eventsourcing/store/storage-failure.ts'
import { FaultPeriod } from '../ops/fault-period.ts'
import { createLogger, type Logger } from '../ops/log.ts'
import { hashToken, SessionCore, type SessionRow } from './session-core.ts'
import type { SessionPort } from './session-port.ts'
import { TokenMint } from './session-token.ts'

export interface Session {
  /** Stable and not secret: safe to put in events, stream ids and logs; survives rotation. */
  readonly id: string
  /** The secret the cookie carries (256 random bits, base64url); never store or log it. */
  readonly token: string
  readonly createdAt: number
  readonly expiresAt: number
}

export interface SessionStoreOptions {
  /** Lifetime after the last access, in seconds. @default 2592000 (30 days) */
  maxAgeSeconds?: number
  /** `last_accessed` is written at most this often per session. @default 300000 (5 min) */
  touchIntervalMs?: number
  /** How often expired rows are deleted. 0 disables the timer. @default 600000 (10 min) */
  sweepIntervalMs?: number
  /** New sessions and touches are written together this often (one fsync). @default 50 */
  flushIntervalMs?: number
  /** Pending writes that trigger a flush at once; bounds the memory they hold. @default 1000 */
  maxPending?: number
  /** The clock; tests pass their own. */
  now?: () => number
  /** How long a failed background write waits before it is tried again. @default 1000 */
  retryMs?: number
  /** Where failed background writes are reported. @default JSON lines to stderr */
  log?: Logger
  /** How long `storageFault()` reports a passing write failure after the last write it failed. @default 10000 */
  reportFailureForMs?: number
}

/** What went wrong in the background, for /metrics and tests. */
export interface SessionStoreCounters {
  /**
   * Background writes that failed (full or read-only disk, I/O error, the database file or its WAL
   * removed or replaced); their rows were kept and retried.
   */
  readonly writeFailures: number
  /** Queued rows dropped because the queue stayed full while writes failed. */
  readonly dropped: number
}

/** What a cookie resolves to: a live session, and whether the cookie must be (re)sent. */
export interface ResolvedSession {
  readonly session: Session
  /** Issued by this lookup: the request came without a cookie naming a session. */
  readonly isNew: boolean
  readonly needsCookie: boolean
  /** Has (or has queued) its row; false for a session that is not stored yet. */
  readonly stored: boolean
}

export interface ResolveOptions {
  /**
   * False for a request that only reads (GET, HEAD): a visitor without a stored session gets
   * one that is not written (a token, an id, nothing else) until a request that writes uses it.
   * @default true
   */
  readonly store?: boolean
}

const SELECT = 'SELECT id, created_at, last_accessed, expires_at FROM sessions WHERE token_hash = ?'
const INSERT = 'INSERT INTO sessions (token_hash, id, created_at, last_accessed, expires_at) VALUES (?, ?, ?, ?, ?)'
const TOUCH = 'UPDATE sessions SET last_accessed = ?, expires_at = ? WHERE token_hash = ?'
const ROTATE = 'UPDATE sessions SET token_hash = ?, last_accessed = ?, expires_at = ? WHERE token_hash = ?'
const SWEEP = 'DELETE FROM sessions WHERE expires_at <= ?'
const ID_TAKEN = 'SELECT 1 AS taken FROM sessions WHERE id = ?'

/**
 * Server-side sessions in SQLite. A token that is unknown, malformed or expired is never
 * adopted: the visitor gets a fresh session (no session fixation). Expiry slides with use,
 * but `last_accessed` is written at most once per `touchIntervalMs` so reads stay reads.
 *
 * The database runs with synchronous=FULL for the event log, so every write costs an fsync.
 * New sessions and touches are therefore queued and written together (one transaction per
 * `flushIntervalMs`), like the event store's group commit: a burst of first visits costs one
 * fsync, not one each. A crash loses at most the sessions of that window; their visitors
 * simply get new ones. Rotation and sweeps, which must take effect at once, flush first.
 *
 * A visitor who only reads is given a session that is not stored (`resolve(token, { store:
 * false })`): its token is signed by this store's `TokenMint` and its id follows from the token,
 * so every tab of one browser shares it before anything is written, and the row is written by
 * the first request that writes with it. Cookieless traffic (crawlers, probes) costs no row.
 * An unstored token is adopted only while it is younger than a session lives (so it cannot
 * revive an expired, swept one) and while no stored session has its id (one rotated away from it).
 *
 * Like the event store, it refuses every write once the database file or its WAL was removed or
 * replaced under it (SQLite would write to the orphaned file and the rows would vanish with the
 * process): `rotate`, `flush` and `sweep` throw a StorageFaultError, queued rows stay queued
 * (bounded) and visible, and `storageFault()` tells `/readyz`.
 */
export class SessionStore implements SessionPort {
  readonly maxAgeSeconds: number
  readonly answersLater = false
  readonly #db: Database
  readonly #core: SessionCore
  readonly #sweepTimer: ReturnType<typeof setInterval> | undefined
  readonly #select
  readonly #insert
  readonly #touch
  readonly #idTaken
  readonly #log: Logger
  readonly #retryMs: number
  readonly #files: FileIdentity | null
  #fault: StorageFaultError | null = null
  /** What the last write met when the disk refused it for now (full, read-only), until one succeeds. */
  readonly #failing: RecentFailure
  #writeFailures = 0
  readonly #writes: FaultPeriod

  constructor(db: Database, options: SessionStoreOptions = {}) {
    this.#db = db
    this.#log = options.log ?? createLogger()
    this.#writes = new FaultPeriod(this.#log)
    this.#retryMs = options.retryMs ?? 1_000
    this.#failing = new RecentFailure(options.reportFailureForMs)
    this.#files = FileIdentity.of(db, 'write sessions')
    // Writes the queue triggers on its own (a timer, a full queue) must never throw: see #flushQueued.
    this.#core = new SessionCore(options, new TokenMint(), () => this.#flushQueued())
    this.maxAgeSeconds = this.#core.maxAgeSeconds
    this.#select = db.prepare<SessionRow, [string]>(SELECT)
    this.#insert = db.prepare(INSERT)
    this.#touch = db.prepare(TOUCH)
    this.#idTaken = db.prepare<{ taken: number }, [string]>(ID_TAKEN)
    const sweepIntervalMs = options.sweepIntervalMs ?? 600_000
    if (sweepIntervalMs > 0) {
      this.#sweepTimer = setInterval(() => this.#sweepQuietly(), sweepIntervalMs)
      // The sweep is housekeeping: it must not keep a finished process alive.
      this.#sweepTimer.unref()
    }
  }

  /** Looks up the cookie's token; anything but a live session yields a brand-new one. */
  resolve(cookieToken: string | undefined, { store = true }: ResolveOptions = {}): ResolvedSession {
    const hash = this.#core.hashOf(cookieToken)
    const row = hash === null ? null : (this.#core.queued(hash) ?? this.#select.get(hash))
    return this.#core.settle(cookieToken, hash, row, (id) => this.#idTaken.get(id) !== null, store)
  }

  create(): Session {
    return this.#core.create()
  }

  /** Issues a new token for the same session (same `id`); the old token stops working at once. */
  rotate(session: Session): Session {
    this.flush()
    const { token, now, expiresAt } = this.#core.rotation()
    const rotate = this.#db.query(ROTATE)
    const { changes } = this.#durably(() => rotate.run(hashToken(token), now, expiresAt, hashToken(session.token)))
    if (changes === 0) return this.create()
    return { id: session.id, token, createdAt: session.createdAt, expiresAt }
  }

  /** Writes queued sessions and touches in one transaction. */
  flush(): void {
    const rows = this.#core.take()
    if (rows.length === 0) return
    try {
      this.#write(rows)
    } catch (error) {
      this.#core.requeue(rows, this.#retryMs)
      throw error
    } finally {
      this.#core.written(rows)
    }
  }

  #write(rows: ReturnType<SessionCore['take']>): void {
    this.#durably(() =>
      this.#db.transaction(() => {
        for (const [hash, row] of rows) {
          if (row.isNew) this.#insert.run(hash, row.id, row.created_at, row.last_accessed, row.expires_at)
          else this.#touch.run(row.last_accessed, row.expires_at, hash)
        }
      })(),
    )
  }

  /**
   * Runs a write only while the database and WAL files are the ones opened, checked before and
   * after: a file swapped during the commit took the rows with it, so they count as not written.
   * Once the files are gone every later write is refused at once, and the fault is logged once. A
   * full or read-only disk is remembered for `storageFault()` until a write succeeds.
   */
  #durably<T>(write: () => T): T {
    if (this.#fault) throw this.#fault
    try {
      this.#files?.assertInPlace()
      const result = write()
      this.#files?.assertInPlace()
      this.#failing.succeeded()
      return result
    } catch (error) {
      if (error instanceof StorageFaultError) {
        this.#fault = error
        this.#log.error('Session store refuses all further writes', { error })
      } else this.#failedForNow(error)
      throw error
    }
  }

  #failedForNow(error: unknown): void {
    const failure = storageFailure(error)
    if (failure) this.#failing.failed(failure)
  }

  counters(): SessionStoreCounters {
    return { writeFailures: this.#writeFailures, dropped: this.#core.dropped }
  }

  /**
   * Why no session write can be made durable until the server restarts, or why the last write
   * failed (a full or read-only disk, while commands may still be answered without a write); null
   * once a write succeeds or none has failed for `reportFailureForMs` (the next one is tried).
   */
  storageFault(): StorageFaultError | null {
    return this.#fault ?? this.#failing.current()
  }

  /**
   * A write the queue started by itself. A full or read-only disk (SQLITE_FULL, SQLITE_READONLY,
   * SQLITE_IOERR) must not crash the process from a timer: the rows go back in the queue, one
   * line is logged, and the write is tried again after `retryMs` until the disk takes it.
   */
  #flushQueued(): void {
    const rows = this.#core.take()
    if (rows.length === 0) return
    try {
      this.#write(rows)
      this.#writes.recovered('Sessions are written again', { rows: rows.length })
    } catch (error) {
      this.#writeFailures++
      this.#core.requeue(rows, this.#retryMs)
      if (error instanceof StorageFaultError) return // logged once, when it was first seen
      this.#writes.failed('Cannot write sessions; keeping them queued and retrying', error, {
        rows: rows.length,
        dropped: this.#core.dropped,
        retryMs: this.#retryMs,
      })
    } finally {
      this.#core.written(rows)
    }
  }

  #sweepQuietly(): void {
    try {
      this.sweep()
    } catch (error) {
      this.#log.error('Cannot sweep expired sessions; trying again at the next sweep', { error })
    }
  }

  /** Deletes expired rows; returns how many. */
  sweep(): number {
    this.flush()
    const sweep = this.#db.query(SWEEP)
    return this.#durably(() => sweep.run(this.#core.now())).changes
  }

  /** Writes what is queued; rows the disk refuses now are dropped (logged), never thrown into shutdown. */
  close(): void {
    if (this.#sweepTimer) clearInterval(this.#sweepTimer)
    try {
      this.flush()
    } catch (error) {
      const dropped = this.#core.discard()
      this.#log.error('Cannot write sessions at shutdown; their visitors get new ones', { dropped, error })
    }
  }
}

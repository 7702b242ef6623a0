import type { Database } from 'bun:sqlite'
import { sessionIdFor, TokenMint } from './session-token.ts'

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
}

/** What a cookie resolves to: a live session, and whether the cookie must be (re)sent. */
export interface ResolvedSession {
  readonly session: Session
  readonly isNew: boolean
  readonly needsCookie: boolean
}

export interface ResolveOptions {
  /**
   * False for a request that only reads (GET, HEAD): a visitor without a stored session gets
   * one that is not written (a token, an id, nothing else) until a request that writes uses it.
   * @default true
   */
  readonly store?: boolean
}

interface SessionRow {
  id: string
  created_at: number
  last_accessed: number
  expires_at: number
}

const SELECT = 'SELECT id, created_at, last_accessed, expires_at FROM sessions WHERE token_hash = ?'
const INSERT = 'INSERT INTO sessions (token_hash, id, created_at, last_accessed, expires_at) VALUES (?, ?, ?, ?, ?)'
const TOUCH = 'UPDATE sessions SET last_accessed = ?, expires_at = ? WHERE token_hash = ?'
const ROTATE = 'UPDATE sessions SET token_hash = ?, last_accessed = ?, expires_at = ? WHERE token_hash = ?'
const SWEEP = 'DELETE FROM sessions WHERE expires_at <= ?'
const ID_TAKEN = 'SELECT 1 AS taken FROM sessions WHERE id = ?'
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

function hashToken(token: string): string {
  return Bun.CryptoHasher.hash('sha256', token, 'hex')
}

interface PendingRow extends SessionRow {
  readonly isNew: boolean
}

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
 */
export class SessionStore {
  readonly maxAgeSeconds: number
  readonly #db: Database
  readonly #touchIntervalMs: number
  readonly #flushIntervalMs: number
  readonly #maxPending: number
  readonly #now: () => number
  readonly #sweepTimer: ReturnType<typeof setInterval> | undefined
  readonly #pending = new Map<string, PendingRow>()
  readonly #mint = new TokenMint()
  #flushTimer: ReturnType<typeof setTimeout> | undefined
  readonly #select
  readonly #insert
  readonly #touch
  readonly #idTaken

  constructor(db: Database, options: SessionStoreOptions = {}) {
    const { maxAgeSeconds = 2_592_000, touchIntervalMs = 300_000, sweepIntervalMs = 600_000 } = options
    this.#db = db
    this.maxAgeSeconds = maxAgeSeconds
    this.#touchIntervalMs = touchIntervalMs
    this.#flushIntervalMs = options.flushIntervalMs ?? 50
    this.#maxPending = options.maxPending ?? 1_000
    this.#now = options.now ?? Date.now
    this.#select = db.prepare<SessionRow, [string]>(SELECT)
    this.#insert = db.prepare(INSERT)
    this.#touch = db.prepare(TOUCH)
    this.#idTaken = db.prepare<{ taken: number }, [string]>(ID_TAKEN)
    if (sweepIntervalMs > 0) {
      this.#sweepTimer = setInterval(() => this.sweep(), sweepIntervalMs)
      // The sweep is housekeeping: it must not keep a finished process alive.
      this.#sweepTimer.unref()
    }
  }

  /** Looks up the cookie's token; anything but a live session yields a brand-new one. */
  resolve(cookieToken: string | undefined, { store = true }: ResolveOptions = {}): ResolvedSession {
    const now = this.#now()
    if (cookieToken && TOKEN_SHAPE.test(cookieToken)) {
      const hash = hashToken(cookieToken)
      const row = this.#pending.get(hash) ?? this.#select.get(hash)
      if (row && row.expires_at > now) return this.#resume(hash, row, cookieToken, now)
      const unstored = row ? null : this.#unstored(cookieToken, now)
      if (unstored && !store) return { session: unstored, isNew: false, needsCookie: false }
      // The visitor's first write: the session they have been reading with is stored now.
      if (unstored) return { session: this.#store(cookieToken, unstored.id, now), isNew: false, needsCookie: true }
    }
    const token = this.#mint.issue(now)
    const session = store ? this.#store(token, sessionIdFor(token), now) : this.#unstoredSession(token, now)
    return { session, isNew: true, needsCookie: true }
  }

  create(): Session {
    const now = this.#now()
    const token = this.#mint.issue(now)
    return this.#store(token, sessionIdFor(token), now)
  }

  /** Issues a new token for the same session (same `id`); the old token stops working at once. */
  rotate(session: Session): Session {
    this.flush()
    const now = this.#now()
    const token = this.#mint.issue(now)
    const expiresAt = now + this.maxAgeSeconds * 1000
    const changes = this.#db.query(ROTATE).run(hashToken(token), now, expiresAt, hashToken(session.token)).changes
    if (changes === 0) return this.create()
    return { id: session.id, token, createdAt: session.createdAt, expiresAt }
  }

  /** Writes queued sessions and touches in one transaction. */
  flush(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer)
    this.#flushTimer = undefined
    if (this.#pending.size === 0) return
    const rows = [...this.#pending]
    this.#pending.clear()
    this.#db.transaction(() => {
      for (const [hash, row] of rows) {
        if (row.isNew) this.#insert.run(hash, row.id, row.created_at, row.last_accessed, row.expires_at)
        else this.#touch.run(row.last_accessed, row.expires_at, hash)
      }
    })()
  }

  /** Deletes expired rows; returns how many. */
  sweep(): number {
    this.flush()
    return this.#db.query(SWEEP).run(this.#now()).changes
  }

  close(): void {
    if (this.#sweepTimer) clearInterval(this.#sweepTimer)
    this.flush()
  }

  /** A stored session: as it is, or with its expiry slid forward (written at most once per touch interval). */
  #resume(hash: string, row: SessionRow, token: string, now: number): ResolvedSession {
    const session = { id: row.id, token, createdAt: row.created_at, expiresAt: row.expires_at }
    if (now - row.last_accessed < this.#touchIntervalMs) return { session, isNew: false, needsCookie: false }
    const expiresAt = now + this.maxAgeSeconds * 1000
    const isNew = this.#pending.get(hash)?.isNew ?? false
    this.#enqueue(hash, { ...row, last_accessed: now, expires_at: expiresAt, isNew })
    return { session: { ...session, expiresAt }, isNew: false, needsCookie: true }
  }

  /** Queues the row of a session first stored now. */
  #store(token: string, id: string, now: number): Session {
    const expiresAt = now + this.maxAgeSeconds * 1000
    this.#enqueue(hashToken(token), { id, created_at: now, last_accessed: now, expires_at: expiresAt, isNew: true })
    return { id, token, createdAt: now, expiresAt }
  }

  #unstoredSession(token: string, issuedAt: number): Session {
    return { id: sessionIdFor(token), token, createdAt: issuedAt, expiresAt: issuedAt + this.maxAgeSeconds * 1000 }
  }

  /** The session an unstored token stands for: issued here, still young, and its id not taken by a stored one. */
  #unstored(token: string, now: number): Session | null {
    const issuedAt = this.#mint.issuedAt(token)
    if (issuedAt === null || now - issuedAt >= this.maxAgeSeconds * 1000) return null
    const session = this.#unstoredSession(token, issuedAt)
    return this.#idTaken.get(session.id) ? null : session
  }

  #enqueue(hash: string, row: PendingRow): void {
    this.#pending.set(hash, row)
    if (this.#pending.size >= this.#maxPending) this.flush()
    else this.#flushTimer ??= setTimeout(() => this.flush(), this.#flushIntervalMs)
  }
}

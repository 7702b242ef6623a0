import type { Database } from 'bun:sqlite'

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
  /** The clock; tests pass their own. */
  now?: () => number
}

/** What a cookie resolves to: a live session, and whether the cookie must be (re)sent. */
export interface ResolvedSession {
  readonly session: Session
  readonly isNew: boolean
  readonly needsCookie: boolean
}

interface SessionRow {
  id: string
  created_at: number
  last_accessed: number
  expires_at: number
}

const SELECT = 'SELECT id, created_at, last_accessed, expires_at FROM sessions WHERE token_hash = ?'
const INSERT =
  'INSERT INTO sessions (token_hash, id, created_at, last_accessed, expires_at) VALUES (?, ?, ?, ?, ?)'
const TOUCH = 'UPDATE sessions SET last_accessed = ?, expires_at = ? WHERE token_hash = ?'
const ROTATE = 'UPDATE sessions SET token_hash = ?, last_accessed = ?, expires_at = ? WHERE token_hash = ?'
const SWEEP = 'DELETE FROM sessions WHERE expires_at <= ?'
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

function newToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
}

function hashToken(token: string): string {
  return new Bun.CryptoHasher('sha256').update(token).digest('hex')
}

/**
 * Server-side sessions in SQLite. A token that is unknown, malformed or expired is never
 * adopted: the visitor gets a fresh session (no session fixation). Expiry slides with use,
 * but `last_accessed` is written at most once per `touchIntervalMs` so reads stay reads.
 */
export class SessionStore {
  readonly maxAgeSeconds: number
  readonly #db: Database
  readonly #touchIntervalMs: number
  readonly #now: () => number
  readonly #sweepTimer: ReturnType<typeof setInterval> | undefined

  constructor(db: Database, options: SessionStoreOptions = {}) {
    const { maxAgeSeconds = 2_592_000, touchIntervalMs = 300_000, sweepIntervalMs = 600_000 } = options
    this.#db = db
    this.maxAgeSeconds = maxAgeSeconds
    this.#touchIntervalMs = touchIntervalMs
    this.#now = options.now ?? Date.now
    if (sweepIntervalMs > 0) {
      this.#sweepTimer = setInterval(() => this.sweep(), sweepIntervalMs)
      // The sweep is housekeeping: it must not keep a finished process alive.
      this.#sweepTimer.unref()
    }
  }

  /** Looks up the cookie's token; anything but a live session yields a brand-new one. */
  resolve(cookieToken: string | undefined): ResolvedSession {
    const now = this.#now()
    if (cookieToken && TOKEN_SHAPE.test(cookieToken)) {
      const hash = hashToken(cookieToken)
      const row = this.#db.query<SessionRow, [string]>(SELECT).get(hash)
      if (row && row.expires_at > now) {
        const session = { id: row.id, token: cookieToken, createdAt: row.created_at, expiresAt: row.expires_at }
        if (now - row.last_accessed < this.#touchIntervalMs) return { session, isNew: false, needsCookie: false }
        const expiresAt = now + this.maxAgeSeconds * 1000
        this.#db.query(TOUCH).run(now, expiresAt, hash)
        return { session: { ...session, expiresAt }, isNew: false, needsCookie: true }
      }
    }
    return { session: this.create(), isNew: true, needsCookie: true }
  }

  create(): Session {
    const now = this.#now()
    const token = newToken()
    const id = crypto.randomUUID()
    const expiresAt = now + this.maxAgeSeconds * 1000
    this.#db.query(INSERT).run(hashToken(token), id, now, now, expiresAt)
    return { id, token, createdAt: now, expiresAt }
  }

  /** Issues a new token for the same session (same `id`); the old token stops working at once. */
  rotate(session: Session): Session {
    const now = this.#now()
    const token = newToken()
    const expiresAt = now + this.maxAgeSeconds * 1000
    const changes = this.#db.query(ROTATE).run(hashToken(token), now, expiresAt, hashToken(session.token)).changes
    if (changes === 0) return this.create()
    return { id: session.id, token, createdAt: session.createdAt, expiresAt }
  }

  /** Deletes expired rows; returns how many. */
  sweep(): number {
    return this.#db.query(SWEEP).run(this.#now()).changes
  }

  close(): void {
    if (this.#sweepTimer) clearInterval(this.#sweepTimer)
  }
}

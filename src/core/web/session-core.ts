import type { ResolvedSession, Session, SessionStoreOptions } from './session.ts'
import { sessionIdFor, type TokenMint } from './session-token.ts'

/** A `sessions` row as both engines return it (times in Unix milliseconds). */
export interface SessionRow {
  id: string
  created_at: number
  last_accessed: number
  expires_at: number
}

/** A row waiting to be written: a session first stored now, or a touch. */
export interface PendingRow extends SessionRow {
  readonly isNew: boolean
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

export function hashToken(token: string): string {
  return Bun.CryptoHasher.hash('sha256', token, 'hex')
}

/**
 * The session rules both engines share, with no I/O: what a cookie resolves to given its row,
 * the queue of rows to write (new sessions and touches, flushed together), and the token mint.
 * An engine looks rows up, writes what `take()` hands it, and calls `written()` after.
 */
export class SessionCore {
  readonly maxAgeSeconds: number
  readonly now: () => number
  readonly #touchIntervalMs: number
  readonly #flushIntervalMs: number
  readonly #maxPending: number
  readonly #mint: TokenMint
  readonly #flush: () => void
  readonly #pending = new Map<string, PendingRow>()
  /** Rows a flush has taken but not yet written: lookups must still find them. */
  #writing = new Map<string, PendingRow>()
  #flushTimer: ReturnType<typeof setTimeout> | undefined
  /** A write failed and is waiting to be tried again: a full queue then drops, not writes. */
  #retrying = false
  #dropped = 0

  constructor(options: SessionStoreOptions, mint: TokenMint, flush: () => void) {
    this.maxAgeSeconds = options.maxAgeSeconds ?? 2_592_000
    this.now = options.now ?? Date.now
    this.#touchIntervalMs = options.touchIntervalMs ?? 300_000
    this.#flushIntervalMs = options.flushIntervalMs ?? 50
    this.#maxPending = options.maxPending ?? 1_000
    this.#mint = mint
    this.#flush = flush
  }

  /** The hash to look a cookie up by; null for a value that cannot be a token (no lookup). */
  hashOf(token: string | undefined): string | null {
    return token && TOKEN_SHAPE.test(token) ? hashToken(token) : null
  }

  /** A row queued or being written, which the database may not have yet. */
  queued(hash: string): PendingRow | undefined {
    return this.#pending.get(hash) ?? this.#writing.get(hash)
  }

  /**
   * What the cookie resolves to, given the row its hash found (if any) and a check whether a
   * stored session already has a given id. Queues the writes it implies.
   */
  settle(
    token: string | undefined,
    hash: string | null,
    row: SessionRow | null | undefined,
    idTaken: (id: string) => boolean,
    store: boolean,
  ): ResolvedSession {
    const now = this.now()
    if (token && hash) {
      if (row && row.expires_at > now) return this.#resume(hash, row, token, now)
      const unstored = row ? null : this.#unstored(token, now, idTaken)
      if (unstored && !store) return { session: unstored, isNew: false, needsCookie: false, stored: false }
      // The visitor's first write: the session they have been reading with is stored now.
      if (unstored)
        return { session: this.store(token, unstored.id, now), isNew: false, needsCookie: true, stored: true }
    }
    const fresh = this.#mint.issue(now)
    const session = store ? this.store(fresh, sessionIdFor(fresh), now) : this.#unstoredSession(fresh, now)
    return { session, isNew: true, needsCookie: true, stored: store }
  }

  create(): Session {
    const now = this.now()
    const token = this.#mint.issue(now)
    return this.store(token, sessionIdFor(token), now)
  }

  /** A new token for a rotation, and the expiry the rotated row gets. */
  rotation(): { token: string; now: number; expiresAt: number } {
    const now = this.now()
    return { token: this.#mint.issue(now), now, expiresAt: now + this.maxAgeSeconds * 1000 }
  }

  /** Queues the row of a session first stored now. */
  store(token: string, id: string, now: number): Session {
    const expiresAt = now + this.maxAgeSeconds * 1000
    this.#enqueue(hashToken(token), { id, created_at: now, last_accessed: now, expires_at: expiresAt, isNew: true })
    return { id, token, createdAt: now, expiresAt }
  }

  /** True while a session stored by `settle` or `create` has not been written. */
  hasNewRows(): boolean {
    for (const row of this.#pending.values()) if (row.isNew) return true
    return false
  }

  /** Hands the queued rows to a flush; they stay visible to lookups until `written()`. */
  take(): [string, PendingRow][] {
    if (this.#flushTimer) clearTimeout(this.#flushTimer)
    this.#flushTimer = undefined
    const rows = [...this.#pending]
    this.#pending.clear()
    this.#retrying = false
    this.#writing = new Map([...this.#writing, ...rows])
    return rows
  }

  /**
   * Puts rows a failed write took back in the queue (unless a newer row for the session came in
   * meanwhile), so a full or read-only disk delays sessions instead of losing them. The queue
   * stays bounded: past `maxPending` the oldest rows are dropped (and counted).
   */
  requeue(rows: readonly [string, PendingRow][], retryMs: number): void {
    const queue = new Map<string, PendingRow>()
    for (const [hash, row] of rows) if (!this.#pending.has(hash)) queue.set(hash, row)
    for (const [hash, row] of this.#pending) queue.set(hash, row)
    for (const hash of queue.keys()) {
      if (queue.size <= this.#maxPending) break
      queue.delete(hash)
      this.#dropped++
    }
    this.#pending.clear()
    for (const [hash, row] of queue) this.#pending.set(hash, row)
    if (this.#flushTimer) clearTimeout(this.#flushTimer)
    this.#retrying = this.#pending.size > 0
    this.#flushTimer = this.#retrying ? setTimeout(() => this.#flush(), retryMs) : undefined
  }

  /** Drops every queued row and its pending write (a store closing on a disk that refuses them); returns how many. */
  discard(): number {
    if (this.#flushTimer) clearTimeout(this.#flushTimer)
    this.#flushTimer = undefined
    const count = this.#pending.size
    this.#pending.clear()
    this.#retrying = false
    return count
  }

  /** Queued rows dropped because writes kept failing while the queue was full. */
  get dropped(): number {
    return this.#dropped
  }

  written(rows: readonly [string, PendingRow][]): void {
    for (const [hash, row] of rows) if (this.#writing.get(hash) === row) this.#writing.delete(hash)
  }

  /** A stored session: as it is, or with its expiry slid forward (written at most once per touch interval). */
  #resume(hash: string, row: SessionRow, token: string, now: number): ResolvedSession {
    const session = { id: row.id, token, createdAt: row.created_at, expiresAt: row.expires_at }
    if (now - row.last_accessed < this.#touchIntervalMs)
      return { session, isNew: false, needsCookie: false, stored: true }
    const expiresAt = now + this.maxAgeSeconds * 1000
    const isNew = this.#pending.get(hash)?.isNew ?? false
    this.#enqueue(hash, { ...row, last_accessed: now, expires_at: expiresAt, isNew })
    return { session: { ...session, expiresAt }, isNew: false, needsCookie: true, stored: true }
  }

  #unstoredSession(token: string, issuedAt: number): Session {
    return { id: sessionIdFor(token), token, createdAt: issuedAt, expiresAt: issuedAt + this.maxAgeSeconds * 1000 }
  }

  /** The session an unstored token stands for: issued here, still young, and its id not taken by a stored one. */
  #unstored(token: string, now: number, idTaken: (id: string) => boolean): Session | null {
    const issuedAt = this.#mint.issuedAt(token)
    if (issuedAt === null || now - issuedAt >= this.maxAgeSeconds * 1000) return null
    const session = this.#unstoredSession(token, issuedAt)
    return idTaken(session.id) ? null : session
  }

  #enqueue(hash: string, row: PendingRow): void {
    this.#pending.set(hash, row)
    if (this.#pending.size < this.#maxPending)
      this.#flushTimer ??= setTimeout(() => this.#flush(), this.#flushIntervalMs)
    else if (!this.#retrying) this.#flush()
    else {
      // Writes are failing (a full disk): keep the newest rows within the bound until one succeeds.
      const oldest = this.#pending.keys().next().value
      if (oldest !== undefined) this.#pending.delete(oldest)
      this.#dropped++
    }
  }
}

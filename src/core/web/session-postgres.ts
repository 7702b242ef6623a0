import type { SQL } from 'bun'
import { FaultPeriod } from '../ops/fault-period.ts'
import { createLogger, type Logger } from '../ops/log.ts'
import type { ResolvedSession, ResolveOptions, Session, SessionStoreCounters, SessionStoreOptions } from './session.ts'
import { hashToken, SessionCore, type SessionRow } from './session-core.ts'
import type { SessionPort } from './session-port.ts'
import { sessionIdFor, TokenMint } from './session-token.ts'

const LOOKUP = `SELECT
  (SELECT row_to_json(s) FROM (SELECT id, created_at, last_accessed, expires_at FROM sessions
    WHERE token_hash = $1) s) AS row,
  EXISTS (SELECT 1 FROM sessions WHERE id = $2) AS taken`

// A row another node wrote for the same session first (two tabs, two nodes) is kept.
const INSERT = `INSERT INTO sessions (token_hash, id, created_at, last_accessed, expires_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[]) ON CONFLICT DO NOTHING`
const TOUCH = `UPDATE sessions SET last_accessed = t.at, expires_at = t.expires
  FROM unnest($1::text[], $2::int8[], $3::int8[]) AS t(hash, at, expires) WHERE token_hash = t.hash`
const ROTATE = 'UPDATE sessions SET token_hash = $1, last_accessed = $2, expires_at = $3 WHERE token_hash = $4'
const SWEEP = 'DELETE FROM sessions WHERE expires_at <= $1'
const MINT_KEY = `WITH drawn AS (INSERT INTO session_mint_key (key) VALUES ($1) ON CONFLICT DO NOTHING RETURNING key)
  SELECT key FROM drawn UNION ALL SELECT key FROM session_mint_key LIMIT 1`

export interface PostgresSessionStoreOptions extends SessionStoreOptions {
  /** Where a failing background write or sweep is reported. @default JSON lines to stderr */
  log?: Logger
}

/**
 * Sessions in PostgreSQL, shared by every node: the same rules as the SQLite store
 * (`SessionCore`: hashed tokens, no fixation, sliding expiry, rotation, sweep, unstored
 * sessions), with two differences that make a cookie from one node work on the others. The
 * key that signs unstored tokens lives in the database, so every node recognises them. And a
 * request that stores a session waits until its row is written (new rows of concurrent requests
 * share one transaction), so the next request may land on any node; touches stay queued.
 */
export class PostgresSessionStore implements SessionPort {
  readonly maxAgeSeconds: number
  readonly answersLater = true
  readonly #sql: SQL
  readonly #core: SessionCore
  readonly #sweepTimer: ReturnType<typeof setInterval> | undefined
  #writes: Promise<void> = Promise.resolve()
  #writeFailures = 0

  /** Opens the store on a migrated database, drawing the shared mint key if no node has yet. */
  static async open(sql: SQL, options: PostgresSessionStoreOptions = {}): Promise<PostgresSessionStore> {
    // Nodes starting together race to draw it: a loser's insert does nothing, and its statement's
    // snapshot predates the winner's commit, so it sees no key at all; the next statement does.
    for (let attempt = 0; attempt < 3; attempt++) {
      const [row] = await sql.unsafe(MINT_KEY, [crypto.getRandomValues(new Uint8Array(32))])
      if (row) return new PostgresSessionStore(sql, new Uint8Array(row.key), options)
    }
    throw new Error('Cannot read the session mint key from PostgreSQL: the table holds none after three draws')
  }

  private constructor(sql: SQL, key: Uint8Array, options: PostgresSessionStoreOptions) {
    this.#sql = sql
    const log = options.log ?? createLogger()
    const writes = new FaultPeriod(log)
    this.#core = new SessionCore(options, new TokenMint(key), () => {
      void this.flush().then(
        () => writes.recovered('Sessions are written again'),
        (error: unknown) => {
          this.#writeFailures++
          writes.failed('Cannot write sessions', error)
        },
      )
    })
    this.maxAgeSeconds = this.#core.maxAgeSeconds
    const sweepIntervalMs = options.sweepIntervalMs ?? 600_000
    if (sweepIntervalMs > 0) {
      this.#sweepTimer = setInterval(
        () => void this.sweep().catch((error: unknown) => log.error('Cannot sweep sessions', { error })),
        sweepIntervalMs,
      )
      // The sweep is housekeeping: it must not keep a finished process alive.
      this.#sweepTimer.unref()
    }
  }

  async resolve(cookieToken: string | undefined, { store = true }: ResolveOptions = {}): Promise<ResolvedSession> {
    const hash = this.#core.hashOf(cookieToken)
    let row: SessionRow | null | undefined = hash === null ? null : this.#core.queued(hash)
    let taken = false
    if (hash !== null && !row && cookieToken) {
      const [found] = await this.#sql.unsafe(LOOKUP, [hash, sessionIdFor(cookieToken)])
      row = found?.row ?? null
      taken = found?.taken === true
    }
    const resolved = this.#core.settle(cookieToken, hash, row, () => taken, store)
    if (this.#core.hasNewRows()) await this.flush()
    return resolved
  }

  async create(): Promise<Session> {
    const session = this.#core.create()
    await this.flush()
    return session
  }

  async rotate(session: Session): Promise<Session> {
    await this.flush()
    const { token, now, expiresAt } = this.#core.rotation()
    const result = await this.#sql.unsafe(ROTATE, [hashToken(token), now, expiresAt, hashToken(session.token)])
    if (result.count === 0) return this.create()
    return { id: session.id, token, createdAt: session.createdAt, expiresAt }
  }

  /** Writes what is queued in one transaction, after any write already under way. */
  flush(): Promise<void> {
    const write = this.#writes.then(() => this.#write())
    this.#writes = write.catch(() => {})
    return write
  }

  /** Background writes that failed (their rows are lost: the visitors get new sessions), for /metrics. */
  counters(): SessionStoreCounters {
    return { writeFailures: this.#writeFailures, dropped: this.#core.dropped }
  }

  /**
   * Never a fault for good: there is no file to be replaced under this node; a server that cannot
   * write fails the background write, which is counted and retried.
   */
  storageFault(): null {
    return null
  }

  async sweep(): Promise<number> {
    await this.flush()
    const result = await this.#sql.unsafe(SWEEP, [this.#core.now()])
    return result.count
  }

  async close(): Promise<void> {
    if (this.#sweepTimer) clearInterval(this.#sweepTimer)
    await this.flush()
  }

  async #write(): Promise<void> {
    const rows = this.#core.take()
    if (rows.length === 0) return
    const inserts = rows.filter(([, row]) => row.isNew)
    const touches = rows.filter(([, row]) => !row.isNew)
    try {
      await this.#sql.begin(async (tx) => {
        if (inserts.length > 0) {
          await tx.unsafe(INSERT, [
            inserts.map(([hash]) => hash),
            inserts.map(([, row]) => row.id),
            inserts.map(([, row]) => row.created_at),
            inserts.map(([, row]) => row.last_accessed),
            inserts.map(([, row]) => row.expires_at),
          ])
        }
        if (touches.length > 0) {
          const at = touches.map(([, row]) => row.last_accessed)
          await tx.unsafe(TOUCH, [touches.map(([hash]) => hash), at, touches.map(([, row]) => row.expires_at)])
        }
      })
    } finally {
      this.#core.written(rows)
    }
  }
}

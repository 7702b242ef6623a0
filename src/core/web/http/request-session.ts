import type { ResolvedSession, Session } from '../session.ts'
import type { SessionPort } from '../session-port.ts'

/**
 * One request's session, looked up on first use: a request that never asks creates nothing
 * and sets no cookie. It is looked up unstored: a visitor without a stored session gets one that
 * is not written. A request that writes (`writes`) stores it only once it is answered below 400
 * (`settle`), under the same id, so a refused command (a 4xx, a 503) stores no row.
 *
 * A store that answers at once (SQLite) is asked on first use. One that answers later
 * (PostgreSQL) is asked ahead, by `prepare()` before the route runs, so `session` stays a plain
 * read for the route; the cookie is still set only when something reads the session.
 */
export class RequestSession {
  readonly #sessions: SessionPort
  readonly #token: string | undefined
  readonly #writes: boolean
  #resolved: ResolvedSession | null = null
  #cookie: Session | null = null
  #read = false

  constructor(sessions: SessionPort, token: string | undefined, options: { writes: boolean }) {
    this.#sessions = sessions
    this.#token = token
    this.#writes = options.writes
  }

  /** Resolves the session now when the store answers later; nothing for a store that answers at once. */
  async prepare(): Promise<void> {
    if (this.#resolved || !this.#sessions.answersLater) return
    this.#resolved = await this.#sessions.resolve(this.#token, { store: false })
  }

  get session(): Session {
    return this.use()
  }

  /** The session, used by this request: its cookie is set if it needs one, and a write accepted stores it. */
  use(): Session {
    const resolved = this.#resolve()
    if (!this.#read) {
      this.#read = true
      if (resolved.needsCookie) this.#cookie = resolved.session
    }
    return resolved.session
  }

  /** True when the request came without a cookie naming a session: its session is issued now. Reads nothing into the answer. */
  get isNew(): boolean {
    return this.#resolve().isNew
  }

  /** A new token for the same session; the response carries its cookie. A writing request stores its session first. */
  async rotate(): Promise<Session> {
    this.#resolve()
    if (this.#writes) await this.#store()
    const next = await this.#sessions.rotate(this.session)
    this.#resolved = { session: next, isNew: false, needsCookie: true, stored: true }
    this.#cookie = next
    return next
  }

  /**
   * Stores the session a writing request used, once its answer's status is known: only below 400
   * (a success or a redirect). With PostgreSQL the row is written before this settles, so the
   * redirected page may be served by any node.
   */
  async settle(status: number): Promise<void> {
    if (this.#writes && this.#read && status < 400) await this.#store()
  }

  /** The session whose cookie the response must (re)set, if any. */
  get cookieToSet(): Session | null {
    return this.#cookie
  }

  #resolve(): ResolvedSession {
    if (!this.#resolved) {
      const resolved = this.#sessions.resolve(this.#token, { store: false })
      if (resolved instanceof Promise) {
        throw new Error('Cannot read the session synchronously: this store answers later; call prepare() first')
      }
      this.#resolved = resolved
    }
    return this.#resolved
  }

  /** Stores the unstored session under its id (its token resolves to it), and (re)sets its cookie. */
  async #store(): Promise<void> {
    const current = this.#resolved
    if (!current || current.stored) return
    const stored = await this.#sessions.resolve(current.session.token, { store: true })
    this.#resolved = stored
    if (stored.needsCookie) this.#cookie = stored.session
  }
}

import type { ResolvedSession, Session } from '../session.ts'
import type { SessionPort } from '../session-port.ts'

/**
 * One request's session, looked up on first use: a request that never asks creates nothing
 * and sets no cookie. Only a request that writes (`store`) stores a session; one that reads
 * gets the visitor's unstored session, which a later write stores under the same id.
 *
 * A store that answers at once (SQLite) is asked on first use. One that answers later
 * (PostgreSQL) is asked ahead, by `prepare()` before the route runs, so `session` stays a plain
 * read for the route; the cookie is still set only when something reads the session.
 */
export class RequestSession {
  readonly #sessions: SessionPort
  readonly #token: string | undefined
  readonly #store: boolean
  #resolved: ResolvedSession | null = null
  #cookie: Session | null = null
  #read = false

  constructor(sessions: SessionPort, token: string | undefined, options: { store: boolean }) {
    this.#sessions = sessions
    this.#token = token
    this.#store = options.store
  }

  /** Resolves the session now when the store answers later; nothing for a store that answers at once. */
  async prepare(): Promise<void> {
    if (this.#resolved || !this.#sessions.answersLater) return
    this.#resolved = await this.#sessions.resolve(this.#token, { store: this.#store })
  }

  get session(): Session {
    if (!this.#resolved) {
      const resolved = this.#sessions.resolve(this.#token, { store: this.#store })
      if (resolved instanceof Promise) {
        throw new Error('Cannot read the session synchronously: this store answers later; call prepare() first')
      }
      this.#resolved = resolved
    }
    if (!this.#read) {
      this.#read = true
      if (this.#resolved.needsCookie) this.#cookie = this.#resolved.session
    }
    return this.#resolved.session
  }

  /** A new token for the same session; the response carries its cookie. */
  async rotate(): Promise<Session> {
    const next = await this.#sessions.rotate(this.session)
    this.#resolved = { session: next, isNew: false, needsCookie: true }
    this.#cookie = next
    return next
  }

  /** The session whose cookie the response must (re)set, if any. */
  get cookieToSet(): Session | null {
    return this.#cookie
  }
}

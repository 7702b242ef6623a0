import type { ResolvedSession, Session, SessionStore } from '../session.ts'

/**
 * One request's session, looked up on first use: a request that never asks creates nothing
 * and sets no cookie. Only a request that writes (`store`) stores a session; one that reads
 * gets the visitor's unstored session, which a later write stores under the same id.
 */
export class RequestSession {
  readonly #sessions: SessionStore
  readonly #token: string | undefined
  readonly #store: boolean
  #resolved: ResolvedSession | null = null
  #cookie: Session | null = null

  constructor(sessions: SessionStore, token: string | undefined, options: { store: boolean }) {
    this.#sessions = sessions
    this.#token = token
    this.#store = options.store
  }

  get session(): Session {
    if (!this.#resolved) {
      this.#resolved = this.#sessions.resolve(this.#token, { store: this.#store })
      if (this.#resolved.needsCookie) this.#cookie = this.#resolved.session
    }
    return this.#resolved.session
  }

  rotate(): Session {
    const next = this.#sessions.rotate(this.session)
    this.#resolved = { session: next, isNew: false, needsCookie: true }
    this.#cookie = next
    return next
  }

  /** The session whose cookie the response must (re)set, if any. */
  get cookieToSet(): Session | null {
    return this.#cookie
  }
}

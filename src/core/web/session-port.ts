import type { ResolvedSession, ResolveOptions, Session } from './session.ts'

/** A value now (SQLite, synchronous) or later (PostgreSQL, over the network). */
export type Awaitable<T> = T | Promise<T>

/**
 * The session store port. The SQLite store answers at once; the PostgreSQL one (several nodes,
 * one database) answers with promises. Callers await every result, which costs the SQLite
 * store nothing and lets either stand behind the HTTP shell.
 */
export interface SessionPort {
  /** Lifetime after the last access, in seconds: the cookie's max age. */
  readonly maxAgeSeconds: number
  /** True when answers are promises (over the network): requests then resolve the session before the route. */
  readonly answersLater: boolean
  /** Looks up the cookie's token; anything but a live session yields a brand-new one. */
  resolve(cookieToken: string | undefined, options?: ResolveOptions): Awaitable<ResolvedSession>
  create(): Awaitable<Session>
  /** Issues a new token for the same session (same `id`); the old token stops working at once. */
  rotate(session: Session): Awaitable<Session>
  /** Writes queued sessions and touches. */
  flush(): Awaitable<void>
  /** Deletes expired rows; returns how many. */
  sweep(): Awaitable<number>
  close(): Awaitable<void>
}

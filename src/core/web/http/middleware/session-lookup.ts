import type { Middleware } from '../compose.ts'

/**
 * Looks a page request's session up before anything reads it, for a session store that
 * answers over the network (PostgreSQL): the rate limits, the Idempotency-Key and the route
 * then read it at once. With SQLite this does nothing and the lookup stays lazy. Files and
 * operations (`/healthz`, assets) never cost a lookup.
 */
export const sessionLookup: Middleware = async function lookUpSession(ex, next) {
  if (ex.match?.route.kind === 'page') await ex.session.prepare()
  return next(ex)
}

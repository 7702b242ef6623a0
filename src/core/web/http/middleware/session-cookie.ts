import type { Logger } from '../../../ops/log.ts'
import type { Middleware } from '../compose.ts'
import { serializeCookie } from '../cookies.ts'
import { reportedStatus } from '../exchange.ts'
import { editHeaders } from '../response-headers.ts'

export interface SessionCookieOptions {
  readonly name: string
  readonly maxAgeSeconds: number
  readonly secure: boolean
}

/**
 * Stores the session of a command answered below 400 (a refused one stores none: see
 * `RequestSession.settle`), then sets the session cookie when the request created or rotated
 * its session, on whatever answer it got.
 */
export function sessionCookie({ name, maxAgeSeconds, secure }: SessionCookieOptions, log: Logger): Middleware {
  return async function setSessionCookie(ex, next) {
    const response = await next(ex)
    try {
      await ex.session.settle(reportedStatus(response))
    } catch (error) {
      // The command is done: its session stays unstored (its token still names it) until a later command stores it.
      log.warn('Cannot store the session of an accepted command; it stays unstored', { error: String(error) })
    }
    const session = ex.session.cookieToSet
    if (!session) return response
    const cookie = serializeCookie(name, session.token, { maxAgeSeconds, secure })
    return editHeaders(response, (headers) => headers.append('Set-Cookie', cookie))
  }
}

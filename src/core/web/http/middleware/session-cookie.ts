import type { Middleware } from '../compose.ts'
import { serializeCookie } from '../cookies.ts'
import { editHeaders } from '../response-headers.ts'

export interface SessionCookieOptions {
  readonly name: string
  readonly maxAgeSeconds: number
  readonly secure: boolean
}

/** Sets the session cookie when the request created or rotated its session, on whatever answer it got. */
export function sessionCookie({ name, maxAgeSeconds, secure }: SessionCookieOptions): Middleware {
  return async function setSessionCookie(ex, next) {
    const response = await next(ex)
    const session = ex.session.cookieToSet
    if (!session) return response
    const cookie = serializeCookie(name, session.token, { maxAgeSeconds, secure })
    return editHeaders(response, (headers) => headers.append('Set-Cookie', cookie))
  }
}

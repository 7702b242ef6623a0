import { parseCookies } from '../http/cookies.ts'

/** The shell's session cookie: `__Host-session` in production, `session` otherwise. */
const SESSION_COOKIES = ['__Host-session', 'session'] as const

/**
 * Which session a feed request counts against, read from its cookie without looking the
 * session up or creating one: a hash of the token (fixed size, and no bearer secret kept in
 * memory), or null without a cookie, when only the global bound applies. A forged token only
 * buys a bucket of its own, which the global bound still caps.
 */
export function sessionOf(req: Request): string | null {
  const cookies = parseCookies(req.headers.get('cookie'))
  for (const name of SESSION_COOKIES) {
    const token = cookies.get(name)
    if (token) return Bun.CryptoHasher.hash('sha256', token, 'base64url')
  }
  return null
}

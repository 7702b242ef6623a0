import type { Session } from './session.ts'

const cache = new Map<string, string>()
const CACHE_LIMIT = 10_000

/**
 * A non-secret key for data a session owns (a stream id such as `todo-list/<key>`). The
 * session id itself is a bearer secret that the sessions table only stores hashed; writing
 * it into event streams would leak it into the log, backups and analytics. SHA-256, cut to
 * 128 bits, base64url.
 */
export function sessionKey(session: Pick<Session, 'id'>): string {
  const cached = cache.get(session.id)
  if (cached) return cached
  const key = new Bun.CryptoHasher('sha256').update(session.id).digest('base64url').slice(0, 22)
  // Bounded memo: hashing is cheap, so simply start over when full.
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(session.id, key)
  return key
}

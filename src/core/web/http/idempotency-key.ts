import { expectedStatus, PayloadTooLargeError, VersionConflict } from '../../errors.ts'
import { readBodyBytes } from './body.ts'
import { describeError } from './error-response.ts'
import { HttpError } from './errors.ts'
import { reportedStatus } from './exchange.ts'
import type { RecordedAnswer } from './idempotency-log.ts'

/** 1 to 255 visible ASCII characters: no spaces, so two keys joined by a proxy are refused. */
const KEY = /^[\x21-\x7e]{1,255}$/

/** The largest answer body kept for a replay; a larger answer is not kept (the retry runs again). */
export const RECORDED_BODY_LIMIT = 32_768

/** The headers of a command's answer that a replay repeats; cookies and security headers are set outside. */
const RECORDED_HEADERS = ['content-type', 'location', 'allow', 'ironstar-status']

/** The header that tells a client it got the first answer again. */
export const REPLAYED_HEADER = 'Idempotent-Replayed'

export function parseIdempotencyKey(header: string): string {
  if (KEY.test(header)) return header
  throw new HttpError(400, 'Cannot read Idempotency-Key: send 1 to 255 visible ASCII characters, without spaces')
}

const sha256 = (...parts: (string | Uint8Array)[]): string => {
  const hasher = new Bun.CryptoHasher('sha256')
  for (const part of parts) hasher.update(part)
  return hasher.digest('base64url')
}

/**
 * Where a key applies: one session, one method on one route. Hashed, since the session id is a
 * bearer secret and the scope ends up in command ids (event metadata, backups, analytics).
 */
export function scopeOf(sessionId: string, method: string, routePattern: string, key: string): string {
  return sha256(sessionId, '\n', method, '\n', routePattern, '\n', key)
}

/** What the key promises to repeat: the method, the path with its query, and the body. */
export async function requestHash(req: Request, url: URL, bodyLimitBytes: number): Promise<string> {
  const body = req.body ? await readBodyBytes(req.clone(), bodyLimitBytes) : new Uint8Array(0)
  return sha256(req.method, '\n', url.pathname, url.search, '\n', body)
}

/**
 * The answer to keep for a replay, or null for one a retry should not get again: a failure
 * that wrote nothing and may pass (5xx, a version conflict), a stream, a body over the limit.
 */
export async function answerOfResponse(response: Response, hash: string): Promise<RecordedAnswer | null> {
  if (reportedStatus(response) >= 500) return null
  if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return null
  let body: Uint8Array | null = null
  if (response.body) {
    try {
      body = await readBodyBytes(response.clone(), RECORDED_BODY_LIMIT)
    } catch (error) {
      if (error instanceof PayloadTooLargeError) return null
      throw error
    }
  }
  const headers: Record<string, string> = {}
  for (const [name, value] of response.headers) {
    if (RECORDED_HEADERS.includes(name) || name.startsWith('datastar-')) headers[name] = value
  }
  return { requestHash: hash, status: response.status, headers, body, errorMessage: null }
}

/** The answer to keep for an error the route threw, by the same rules. */
export function answerOfError(error: unknown, hash: string): RecordedAnswer | null {
  const status = error instanceof HttpError ? error.status : expectedStatus(error)
  if (status === undefined || status >= 500 || error instanceof VersionConflict) return null
  const { message, headers } = describeError(error)
  return { requestHash: hash, status, headers, body: null, errorMessage: message }
}

/** The first answer again: the same response, or the same error thrown for the error middleware to answer. */
export function replay(answer: RecordedAnswer): Response {
  const headers = { ...answer.headers, [REPLAYED_HEADER]: 'true' }
  if (answer.errorMessage !== null) throw new HttpError(answer.status, answer.errorMessage, { headers })
  const body = answer.body === null ? null : new Uint8Array(answer.body)
  return new Response(body, { status: answer.status, headers })
}

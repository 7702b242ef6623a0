import type { AppContext } from '../../../app-context.ts'
import { OverloadedError } from '../../../errors.ts'
import type { Middleware } from '../compose.ts'
import { HttpError } from '../errors.ts'
import { runsCommand, targetOf } from '../exchange.ts'
import {
  answerOfError,
  answerOfResponse,
  parseIdempotencyKey,
  replay,
  requestHash,
  scopeOf,
} from '../idempotency-key.ts'
import { commandIdBase, IdempotencyLog, type RecordedAnswer } from '../idempotency-log.ts'

/** Keyed requests running at once at most; each holds one entry until it is answered. */
const MAX_IN_FLIGHT = 10_000

const reused = () =>
  new HttpError(
    422,
    'Cannot reuse this Idempotency-Key for a different request: it was first sent with another method, path or body. Send a new key for a new request',
  )

/**
 * `Idempotency-Key` on a command: the same key on the same route and session, within the
 * window, answers the first answer again and runs nothing; another body under the key is a 422;
 * a retry while the first is still running is a 409 (the IETF draft's answer: the client retries
 * after `Retry-After`, and no connection is held waiting). The request's commands are appended
 * under command ids derived from the key, so a retry whose first answer was never recorded (the
 * connection dropped, the server crashed after the commit) writes nothing twice either.
 */
export function idempotencyKeys(app: AppContext): Middleware {
  const log = new IdempotencyLog(app.db, { windowMs: app.config.idempotencyWindowSeconds * 1000 })
  const inFlight = new Map<string, string>() // scope → request hash

  function keep(scope: string, answer: RecordedAnswer | null): void {
    if (!answer) return
    try {
      log.record(scope, answer)
    } catch (error) {
      // The commands are durable; a retry without the answer runs again under the same command ids.
      app.log.warn('Cannot record the answer to an Idempotency-Key', { error: String(error) })
    }
  }

  return async function replayIdempotent(ex, next) {
    const header = ex.req.headers.get('idempotency-key')
    if (header === null || !runsCommand(ex)) return next(ex)
    const key = parseIdempotencyKey(header)
    const hash = await requestHash(ex.req, targetOf(ex), app.config.bodyLimitBytes)
    const scope = scopeOf(ex.session.session.id, ex.req.method, ex.match.route.pattern, key)
    const running = inFlight.get(scope)
    if (running !== undefined) {
      if (running !== hash) throw reused()
      throw new HttpError(
        409,
        'Cannot run this request yet: the first one with this Idempotency-Key is still running',
        {
          headers: { 'Retry-After': '1' },
        },
      )
    }
    const recorded = log.find(scope)
    if (recorded) {
      if (recorded.requestHash !== hash) throw reused()
      return replay(recorded)
    }
    if (inFlight.size >= MAX_IN_FLIGHT) throw new OverloadedError('Cannot take more keyed requests at once')
    inFlight.set(scope, hash)
    try {
      const response = await app.commands.withCommandIds(commandIdBase(scope), () => next(ex))
      keep(scope, await answerOfResponse(response, hash))
      return response
    } catch (error) {
      keep(scope, answerOfError(error, hash))
      throw error
    } finally {
      inFlight.delete(scope)
    }
  }
}

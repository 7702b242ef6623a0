import type { AppContext } from '../../../app-context.ts'
import type { MetricsRegistry } from '../../../ops/metrics.ts'
import type { Middleware } from '../compose.ts'
import { HttpError } from '../errors.ts'
import { type Exchange, runsCommand } from '../exchange.ts'
import { TokenBuckets } from '../rate-limit.ts'

/** Clients tracked per scope at most (least recently seen dropped first). */
const MAX_CLIENTS = 100_000
/** A limited client is logged at most once in this long, with the count of refusals it covers. */
const LOG_WINDOW_MS = 60_000
/** The one client of the `sessionless` scope. */
const SESSIONLESS = 'sessionless'

type Scope = 'session' | 'sessionless' | 'ip'

const FROM: Record<Scope, string> = {
  ip: 'this address',
  session: 'this session',
  sessionless: 'clients without a session',
}

/**
 * Token buckets on commands (`RATE_LIMIT_PER_IP`, `RATE_LIMIT_PER_SESSION`,
 * `RATE_LIMIT_SESSIONLESS`): a command past its client's bucket is a 429 with `Retry-After` and
 * runs nothing. The IP is the socket's peer (a proxy's address behind one); a request without a
 * socket has only the session's. A client without a session (no cookie, or one naming none) would
 * get a fresh session, and a full bucket, with every command: all such commands share one bucket
 * instead, and the session of one that passes is stored once it is accepted, so its next
 * commands, with the cookie, count against a bucket of their own.
 */
export function rateLimits(app: AppContext, metrics: MetricsRegistry): Middleware {
  const limit = app.config.rateLimit
  const configured: [Scope, typeof limit.perIp][] = [
    ['ip', limit.perIp],
    ['sessionless', limit.sessionless],
    ['session', limit.perSession],
  ]
  const limits = configured.flatMap(([scope, rate]) =>
    rate ? [{ scope, buckets: new TokenBuckets(rate, { maxEntries: scope === 'sessionless' ? 1 : MAX_CLIENTS }) }] : [],
  )
  const refused = {
    ip: metrics.counter('ironstar_rate_limited_total', { scope: 'ip' }, { help: 'Commands refused with 429' }),
    sessionless: metrics.counter('ironstar_rate_limited_total', { scope: 'sessionless' }),
    session: metrics.counter('ironstar_rate_limited_total', { scope: 'session' }),
  }
  const usesSession = limit.perSession !== null || limit.sessionless !== null

  function clientOf(ex: Exchange, scope: Scope): string | undefined {
    if (scope === 'ip') return ex.server?.requestIP(ex.req)?.address
    // Asking whether the session is new puts no cookie on a refusal.
    const isNew = ex.session.isNew
    if (scope === 'sessionless') return isNew ? SESSIONLESS : undefined
    return isNew ? undefined : ex.session.session.id
  }

  return async function limitRate(ex, next) {
    if (limits.length === 0 || !runsCommand(ex)) return next(ex)
    const now = performance.now()
    for (const { scope, buckets } of limits) {
      const client = clientOf(ex, scope)
      if (client === undefined) continue
      const taken = buckets.take(client, now)
      if (taken.allowed) continue
      refused[scope].inc()
      const covered = buckets.logDue(client, now, LOG_WINDOW_MS)
      if (covered > 0) app.log.warn('Rate limited', { scope, client, refused: covered })
      const seconds = taken.retryAfterSeconds
      throw new HttpError(429, `Too many requests from ${FROM[scope]}: try again in ${seconds} s`, {
        headers: { 'Retry-After': String(seconds) },
      })
    }
    // Counted under the session: it gets its cookie, and is stored if the command is accepted.
    if (usesSession) ex.session.use()
    return next(ex)
  }
}

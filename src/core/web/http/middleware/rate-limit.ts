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

type Scope = 'session' | 'ip'

/**
 * Per-IP and per-session token buckets on commands (`RATE_LIMIT_PER_IP`, `RATE_LIMIT_PER_SESSION`):
 * a command past its client's bucket is a 429 with `Retry-After` and runs nothing. The IP is the
 * socket's peer (a proxy's address behind one); a request without a socket has only the session's.
 */
export function rateLimits(app: AppContext, metrics: MetricsRegistry): Middleware {
  const { perSession, perIp } = app.config.rateLimit
  const limits = [
    ...(perIp ? [{ scope: 'ip' as Scope, buckets: new TokenBuckets(perIp, { maxEntries: MAX_CLIENTS }) }] : []),
    ...(perSession
      ? [{ scope: 'session' as Scope, buckets: new TokenBuckets(perSession, { maxEntries: MAX_CLIENTS }) }]
      : []),
  ]
  const refused = {
    ip: metrics.counter('ironstar_rate_limited_total', { scope: 'ip' }, { help: 'Commands refused with 429' }),
    session: metrics.counter('ironstar_rate_limited_total', { scope: 'session' }),
  }

  function clientOf(ex: Exchange, scope: Scope): string | undefined {
    if (scope === 'session') return ex.session.session.id
    return ex.server?.requestIP(ex.req)?.address
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
      throw new HttpError(
        429,
        `Too many requests from this ${scope === 'ip' ? 'address' : 'session'}: try again in ${seconds} s`,
        { headers: { 'Retry-After': String(seconds) } },
      )
    }
    return next(ex)
  }
}

import type { AppContext } from '../../app-context.ts'
import type { MetricsRegistry } from '../../ops/metrics.ts'
import { compose, type Next } from './compose.ts'
import type { NavItem } from './context.ts'
import { callRoute } from './middleware/call-route.ts'
import { commandTurns } from './middleware/command-turns.ts'
import { errorAnswers } from './middleware/error-answers.ts'
import { headWithoutBody } from './middleware/head-request.ts'
import { idempotencyKeys } from './middleware/idempotency-key.ts'
import { originChecks } from './middleware/origin-checks.ts'
import { rateLimits } from './middleware/rate-limit.ts'
import { requestLog } from './middleware/request-log.ts'
import { requestMetrics } from './middleware/request-metrics.ts'
import { securityHeaders } from './middleware/security-headers.ts'
import { type SessionCookieOptions, sessionCookie } from './middleware/session-cookie.ts'
import { sessionLookup } from './middleware/session-lookup.ts'
import { type Readiness, startupGate } from './middleware/startup-gate.ts'
import type { OriginPolicy } from './origin.ts'
import type { RequestLogger } from './request-log.ts'

export interface PipelineOptions {
  readonly app: AppContext
  readonly nav: readonly NavItem[]
  readonly originPolicy: () => OriginPolicy
  readonly cookie: SessionCookieOptions
  readonly isHttpsOnly: boolean
  readonly metrics: MetricsRegistry
  readonly log?: RequestLogger
  /** While the server starts: what a slice's routes wait for. @default always ready */
  readonly readiness?: Readiness
}

/**
 * Every request's way through the app, outermost first. What comes in is the exchange
 * (`createExchange`: id, clock, URL, route match, cookies, lazy session); what reaches the route
 * is its RequestContext. Each step is in its own module under `middleware/`.
 */
export function requestPipeline(options: PipelineOptions): Next {
  return compose(
    [
      ...(options.log ? [requestLog(options.log)] : []), // sees the final status and error id
      requestMetrics(options.metrics),
      headWithoutBody, // after the headers below, so HEAD carries them too
      securityHeaders(options), // on every answer, error pages included
      sessionCookie(options.cookie, options.app.log), // stores an accepted command's session; the cookie also on an error page
      errorAnswers(options), // every throw below, through the one error table
      commandTurns(options.app.turns, options.app.log), // a command waits for its turn of the loop; pages and feeds are answered meanwhile
      originChecks(options.originPolicy), // host (421), then CSRF (403), before any handler runs
      sessionLookup, // a store over the network (PostgreSQL) is asked here, so what follows reads the session at once
      ...(options.readiness ? [startupGate(options.readiness)] : []), // a slice still starting: wait, or 503
      rateLimits(options.app, options.metrics), // 429 past a client's bucket, before a key is looked up or anything runs
      idempotencyKeys(options.app), // a command's first answer again for its key; errors above answer its refusals
    ],
    callRoute(options), // 404, 405, or the route's handler with its context
  )
}

import type { Middleware } from '../compose.ts'
import { checkSameOrigin } from '../csrf.ts'
import { targetOf } from '../exchange.ts'
import { checkHost, type OriginPolicy } from '../origin.ts'

/** Refuses a request for another host (DNS rebinding: 421) and a cross-origin write (CSRF: 403). */
export function originChecks(policy: () => OriginPolicy): Middleware {
  return async function checkOrigin(ex, next) {
    checkHost(ex.req, targetOf(ex), policy())
    checkSameOrigin(ex.req, policy())
    return next(ex)
  }
}

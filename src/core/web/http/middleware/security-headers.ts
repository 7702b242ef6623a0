import { isDatastarVendored } from '../../datastar-pin.ts'
import type { Middleware } from '../compose.ts'
import { editHeaders } from '../response-headers.ts'
import { applySecurityHeaders } from '../security-headers.ts'

/** The security headers on every answer, error pages included; files get the file policy. */
export function securityHeaders({ isHttpsOnly }: { isHttpsOnly: boolean }): Middleware {
  return async function addSecurityHeaders(ex, next) {
    const response = await next(ex)
    const options = { kind: ex.kind, isDatastarVendored: isDatastarVendored(), isHttpsOnly }
    return editHeaders(response, (headers) => applySecurityHeaders(headers, options))
  }
}

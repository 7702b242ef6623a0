import { HttpError } from './errors.ts'
import { forMessage, type OriginPolicy } from './origin.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method)
}

/**
 * Refuses a state-changing request that a browser sent from another origin. Browsers send
 * `Origin` on every non-GET request, and `Sec-Fetch-Site` (all current ones); with neither,
 * the client is not a browser, which CSRF cannot exploit (the approach of Go's net/http
 * CrossOriginProtection). `Origin` must be one of the expected origins, scheme and port
 * included; it is never compared with the request's own `Host`, which the sender chooses.
 */
export function checkSameOrigin(req: Request, policy: OriginPolicy): void {
  if (SAFE_METHODS.has(req.method)) return
  const origin = req.headers.get('origin')
  if (origin !== null) {
    // An expected origin is this site even when Sec-Fetch-Site says same-site (www and apex both listed).
    if (policy.origins.has(origin.toLowerCase())) return
    throw crossOrigin(`Origin "${forMessage(origin)}" is not ${policy.publicOrigins.join(' or ')}`)
  }
  const fetchSite = req.headers.get('sec-fetch-site')
  // `none` is a user-initiated navigation (bookmark, address bar), never a cross-site form.
  if (fetchSite === null || fetchSite === 'same-origin' || fetchSite === 'none') return
  throw crossOrigin(`Sec-Fetch-Site is "${forMessage(fetchSite)}"`)
}

function crossOrigin(reason: string): HttpError {
  return new HttpError(403, `Cannot accept a cross-origin request: ${reason}. Submit the form from this site`)
}

import { HttpError } from './errors.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Refuses a state-changing request that a browser sent from another origin. Browsers send
 * `Sec-Fetch-Site` (all current ones) or at least `Origin` on every non-GET request, so their
 * absence means a non-browser client, which CSRF cannot exploit (the approach of Go's
 * net/http CrossOriginProtection). `Origin` is compared with the Host the request came to.
 */
export function checkSameOrigin(req: Request, url: URL): void {
  if (SAFE_METHODS.has(req.method)) return
  const fetchSite = req.headers.get('sec-fetch-site')
  if (fetchSite !== null) {
    // `none` is a user-initiated navigation (bookmark, address bar), never a cross-site form.
    if (fetchSite === 'same-origin' || fetchSite === 'none') return
    throw crossOrigin(`Sec-Fetch-Site is "${fetchSite}"`)
  }
  const origin = req.headers.get('origin')
  if (origin === null) return
  const host = req.headers.get('host') ?? url.host
  let originHost: string
  try {
    originHost = new URL(origin).host
  } catch {
    throw crossOrigin(`Origin "${origin}" is not a URL`)
  }
  if (originHost !== host) throw crossOrigin(`Origin "${origin}" does not match host "${host}"`)
}

function crossOrigin(reason: string): HttpError {
  return new HttpError(403, `Cannot accept a cross-origin request: ${reason}. Submit the form from this site`)
}

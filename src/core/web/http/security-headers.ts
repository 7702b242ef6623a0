import { DATASTAR_PIN } from '../datastar-pin.ts'

export interface SecurityHeaderOptions {
  /** False when pages load the Datastar client from the pinned CDN URL. */
  isDatastarVendored: boolean
}

/**
 * The Content-Security-Policy for every page. Datastar compiles its expressions with
 * Function(), hence 'unsafe-eval'; nothing else is allowed beyond this origin, except the
 * one pinned client file when it is not vendored (a path-exact source, not the whole CDN).
 * Inline `style="..."` attributes are blocked: style with classes (or Datastar's data-style,
 * which goes through the CSSOM and is allowed).
 */
export function contentSecurityPolicy({ isDatastarVendored }: SecurityHeaderOptions): string {
  const scripts = isDatastarVendored ? "'self'" : `'self' ${DATASTAR_PIN.url}`
  return [
    "default-src 'self'",
    `script-src ${scripts} 'unsafe-eval'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/**
 * For everything that is not a page (assets, `/healthz`, `/metrics`): nothing may load, and a
 * file opened as a document runs in an opaque origin (`sandbox`), so even an HTML or SVG file
 * that should never have been there cannot script this origin or read its cookies.
 */
export const FILE_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"

const POLICY_VENDORED = contentSecurityPolicy({ isDatastarVendored: true })
const POLICY_CDN = contentSecurityPolicy({ isDatastarVendored: false })

export interface ResponseSecurity extends SecurityHeaderOptions {
  /** `page` for what the shell renders (pages, feeds, commands, error pages); `file` for the rest. */
  kind: 'page' | 'file'
  /** Sends HSTS: the site is served over HTTPS (an `https:` PUBLIC_ORIGIN in production). */
  isHttpsOnly: boolean
}

/** Sets the security headers every response carries; the shell calls it once per response. */
export function applySecurityHeaders(headers: Headers, options: ResponseSecurity): void {
  const pagePolicy = options.isDatastarVendored ? POLICY_VENDORED : POLICY_CDN
  headers.set('Content-Security-Policy', options.kind === 'page' ? pagePolicy : FILE_POLICY)
  headers.set('X-Content-Type-Options', 'nosniff')
  headers.set('Referrer-Policy', 'strict-origin-when-cross-origin')
  // frame-ancestors covers modern browsers; X-Frame-Options the ones that predate it.
  headers.set('X-Frame-Options', 'DENY')
  headers.set('Cross-Origin-Opener-Policy', 'same-origin')
  // No other site may embed or read these bytes (also what Spectre-style reads need).
  headers.set('Cross-Origin-Resource-Policy', 'same-origin')
  if (options.isHttpsOnly) headers.set('Strict-Transport-Security', 'max-age=31536000')
}

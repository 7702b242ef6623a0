import type { SessionPort } from '../session-port.ts'
import type { ServerHandle, Theme } from './context.ts'
import { parseCookies } from './cookies.ts'
import { isSafeMethod } from './csrf.ts'
import { HttpError } from './errors.ts'
import { RequestSession } from './request-session.ts'
import type { Route, RouteMatch } from './router.ts'
import { THEME_COOKIE, themeFromCookie } from './theme.ts'

/** What one request carries through the middleware: read by all, written only where noted. */
export interface Exchange {
  readonly req: Request
  readonly requestId: string
  /** `performance.now()` when the request entered the pipeline. */
  readonly started: number
  /** The request target; undefined when it is not a URL (the host check answers 400). */
  readonly url: URL | undefined
  /** The route the path matched, null for none (a 404 once the checks pass). */
  readonly match: RouteMatch | null
  readonly isDatastar: boolean
  readonly theme: Theme
  /** The visitor's session, looked up on first use (lazy: most requests never ask), or before the route (`sessionLookup`). */
  readonly session: RequestSession
  /** Bun's server when Bun.serve delivered the request; none for a call to `fetch` without a port. */
  readonly server: ServerHandle | undefined
  /** Which security policy the answer gets: set by the route once it answered; errors are pages. */
  kind: Route['kind']
  /** Set by the error middleware for an unexpected error: logged with the stack and shown. */
  errorId?: string
}

export interface ExchangeOptions {
  readonly sessions: SessionPort
  readonly sessionCookie: string
}

/** The request's parts every middleware reads, parsed once; nothing here can throw. */
export function createExchange(
  req: Request,
  url: URL | undefined,
  match: RouteMatch | null,
  server: ServerHandle | undefined,
  { sessions, sessionCookie }: ExchangeOptions,
): Exchange {
  const cookies = parseCookies(req.headers.get('cookie'))
  return {
    req,
    requestId: crypto.randomUUID(),
    started: performance.now(),
    url,
    match,
    isDatastar: req.headers.get('datastar-request') === 'true',
    theme: themeFromCookie(cookies.get(THEME_COOKIE)),
    session: new RequestSession(sessions, cookies.get(sessionCookie), { writes: !isSafeMethod(req.method) }),
    server,
    kind: 'page',
  }
}

/** The request target as a URL; undefined when Bun could not make one (no or malformed Host, CONNECT). */
export function parseTarget(req: Request): URL | undefined {
  try {
    return new URL(req.url)
  } catch {
    return undefined
  }
}

/** The exchange's URL, or the 400 for a request whose address is not one. */
export function targetOf(ex: Exchange): URL {
  if (ex.url) return ex.url
  throw new HttpError(400, 'Cannot read the request: its address is not a URL. Send a Host header and a path')
}

/** The status the request log and metrics report: a Datastar toast's real one, not its 200. */
export function reportedStatus(response: Response): number {
  return Number(response.headers.get('ironstar-status') ?? response.status)
}

/** The route label for logs and metrics: the pattern, bounded by the route table. */
export function routeLabel(ex: Exchange): string {
  return ex.match?.route.pattern ?? 'unmatched'
}

/** Milliseconds since the request entered, to two decimals. */
export function elapsedMs(ex: Exchange): number {
  return Math.round((performance.now() - ex.started) * 100) / 100
}

/** A command: an unsafe method on a page route that has a handler for it (files and operations are not). */
export function runsCommand(ex: Exchange): ex is Exchange & { match: RouteMatch } {
  return (
    !isSafeMethod(ex.req.method) &&
    ex.match !== null &&
    ex.match.route.kind === 'page' &&
    ex.req.method in ex.match.route.methods
  )
}

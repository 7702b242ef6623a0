import type { BunRequest, Server } from 'bun'
import type { AppContext } from '../app-context.ts'
import { isDatastarVendored } from '../datastar-pin.ts'
import { NotFoundError } from '../errors.ts'
import type { SessionStore } from '../session.ts'
import type { Slice } from '../slice.ts'
import type { Handler, HttpMethod, NavItem, RequestContext, RouteTable } from './context.ts'
import { parseCookies, serializeCookie } from './cookies.ts'
import { checkSameOrigin, isSafeMethod } from './csrf.ts'
import { describeError, errorPage, errorToast, lastResortPage } from './error-response.ts'
import { HttpError } from './errors.ts'
import { checkHost, createOriginPolicy, type OriginPolicy } from './origin.ts'
import { logUnexpectedError, type RequestLogger } from './request-log.ts'
import { RequestSession } from './request-session.ts'
import { applySecurityHeaders, type ResponseSecurity } from './security-headers.ts'
import { setTheme, THEME_COOKIE, themeFromCookie } from './theme.ts'

export interface ShellOptions {
  readonly app: AppContext
  readonly slices: readonly Slice[]
  readonly sessions: SessionStore
  /**
   * Routes that serve files and operations rather than pages (assets, `/healthz`, `/metrics`):
   * the same host check, errors, headers and log as the slices' routes, with the file policy.
   */
  readonly platform?: RouteTable
  /** One line per request. @default none */
  readonly log?: RequestLogger
}

type Methods = Partial<Readonly<Record<HttpMethod, Handler>>>
type BunRoute = (req: BunRequest, server: Server<undefined>) => Promise<Response>

interface Route {
  readonly methods: Methods
  readonly kind: ResponseSecurity['kind']
}

export interface Shell {
  /** For Bun.serve's `routes`: every path, each dispatching by method (405 with Allow). */
  readonly routes: Readonly<Record<string, BunRoute>>
  /** For Bun.serve's `fetch`: whatever no route matched, answered with the styled 404. */
  fetch(req: Request, server: Server<undefined>): Promise<Response>
  /** For Bun.serve's `error`: the last resort if the shell itself fails, so Bun's own page never shows. */
  error(error: Error): Response
}

/** The shell's own routes, next to the slices'. */
const SHELL_ROUTES: RouteTable = { '/theme': { POST: setTheme } }
/** Longest path a request log line carries: the path is the sender's to choose. */
const MAX_LOGGED_PATH = 512
/** The URL an error page is laid out with when the request's own could not be read. */
const UNREADABLE_URL = new URL('http://unreadable.invalid/')

function collectRoutes(app: AppContext, slices: readonly Slice[], platform: RouteTable): Map<string, Route> {
  const routes = new Map<string, Route>()
  const owners = new Map<string, string>()
  const add = (owner: string, table: RouteTable, kind: Route['kind']) => {
    for (const [path, methods] of Object.entries(table)) {
      const taken = owners.get(path)
      if (taken) throw new Error(`Cannot register route "${path}" for "${owner}": owned by "${taken}"`)
      owners.set(path, owner)
      routes.set(path, { methods, kind })
    }
  }
  add('shell', SHELL_ROUTES, 'page')
  add('platform', platform, 'file')
  for (const slice of slices) add(slice.name, slice.routes(app), 'page')
  return routes
}

function allowed(methods: Methods): string {
  const names = Object.keys(methods)
  if (methods.GET && !methods.HEAD) names.push('HEAD')
  return names.join(', ')
}

/** The handler for the method (GET serves HEAD), else a 405 naming the allowed ones. */
function handlerFor(methods: Methods, method: string, url: URL): Handler {
  const handler = methods[method as HttpMethod] ?? (method === 'HEAD' ? methods.GET : undefined)
  if (handler) return handler
  const allow = allowed(methods)
  throw new HttpError(405, `Cannot ${method} ${url.pathname}: allowed ${allow}`, { headers: { Allow: allow } })
}

/** The request target as a URL; a 400 when Bun could not make one (no or malformed Host, CONNECT). */
function targetOf(req: Request): URL {
  try {
    return new URL(req.url)
  } catch {
    throw new HttpError(400, 'Cannot read the request: its address is not a URL. Send a Host header and a path')
  }
}

/**
 * Adds the shell's headers in place: re-wrapping a Response would turn a string body into a
 * stream and lose Bun's fast path. Only responses with immutable headers (Response.redirect,
 * a proxied fetch) are copied; HEAD drops the body.
 */
function finish(req: Request, response: Response, decorate: (headers: Headers) => void): Response {
  let final = response
  try {
    decorate(response.headers)
  } catch {
    final = new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: new Headers(response.headers),
    })
    decorate(final.headers)
  }
  if (req.method !== 'HEAD') return final
  return new Response(null, { status: final.status, statusText: final.statusText, headers: final.headers })
}

function loggedPath(url: URL | undefined): string {
  if (!url) return '(unreadable)'
  return url.pathname.length > MAX_LOGGED_PATH ? `${url.pathname.slice(0, MAX_LOGGED_PATH)}…` : url.pathname
}

/** Builds the HTTP shell: host and origin checks, routing, sessions, errors, security headers and the request log. */
export function createShell({ app, slices, sessions, platform = {}, log }: ShellOptions): Shell {
  const routes = collectRoutes(app, slices, platform)
  const nav: readonly NavItem[] = slices.flatMap((slice) => (slice.nav ? [slice.nav] : []))
  const production = app.config.env === 'production'
  const publicOrigins = app.config.publicOrigins ?? []
  const isHttpsOnly = production && publicOrigins.length > 0 && publicOrigins.every((o) => o.startsWith('https:'))
  // The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and Path=/.
  const sessionCookie = production ? '__Host-session' : 'session'
  // Known once the server listens: with PORT=0 the default origin is the port actually bound.
  let policy: OriginPolicy | undefined
  const originPolicy = (server: Server<undefined>) => {
    policy ??= createOriginPolicy({ publicOrigins, hostname: app.config.host, port: server.port ?? app.config.port })
    return policy
  }

  async function serve(
    req: Request,
    server: Server<undefined>,
    route: Route | null,
    params: Record<string, string>,
    name = 'unmatched',
  ) {
    const started = performance.now()
    const requestId = crypto.randomUUID()
    const isDatastar = req.headers.get('datastar-request') === 'true'
    const cookies = parseCookies(req.headers.get('cookie'))
    const theme = themeFromCookie(cookies.get(THEME_COOKIE))
    const session = new RequestSession(sessions, cookies.get(sessionCookie), { store: !isSafeMethod(req.method) })
    let url: URL | undefined
    let response: Response
    let kind: Route['kind'] = 'page'
    let errorId: string | undefined
    try {
      url = targetOf(req)
      checkHost(req, url, originPolicy(server))
      checkSameOrigin(req, originPolicy(server))
      if (!route) throw new NotFoundError(`Cannot find ${url.pathname}: there is no page here`)
      const handler = handlerFor(route.methods, req.method, url)
      const ctx: RequestContext = {
        url,
        params,
        app,
        isDatastar,
        requestId,
        get session() {
          return session.session
        },
        rotateSession: () => session.rotate(),
        nav,
        theme,
        server: { timeout: (request, seconds) => server.timeout(request, seconds) },
      }
      response = await handler(req, ctx)
      if (!(response instanceof Response)) throw new TypeError(`Cannot send what ${name} returned: not a Response`)
      kind = route.kind
    } catch (error) {
      const described = describeError(error)
      if (described.errorId) {
        errorId = described.errorId
        logUnexpectedError(app.log, errorId, requestId, error)
      }
      const isCommand = !isSafeMethod(req.method)
      const layoutCtx = { url: url ?? UNREADABLE_URL, nav, theme }
      response =
        isDatastar && isCommand && described.status !== 403 ? errorToast(described) : errorPage(layoutCtx, described)
    }

    const final = finish(req, response, (headers) => {
      applySecurityHeaders(headers, { kind, isDatastarVendored: isDatastarVendored(), isHttpsOnly })
      const cookie = session.cookieToSet
      if (cookie) {
        headers.append(
          'Set-Cookie',
          serializeCookie(sessionCookie, cookie.token, { maxAgeSeconds: sessions.maxAgeSeconds, secure: production }),
        )
      }
    })
    log?.({
      time: new Date().toISOString(),
      requestId,
      method: req.method,
      path: loggedPath(url),
      route: name,
      status: Number(final.headers.get('ironstar-status') ?? final.status),
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      ...(errorId ? { errorId } : {}),
    })
    return final
  }

  const bunRoutes: Record<string, BunRoute> = {}
  for (const [path, route] of routes) {
    bunRoutes[path] = (req, server) => serve(req, server, route, req.params as Record<string, string>, path)
  }
  return {
    routes: bunRoutes,
    fetch: (req, server) => serve(req, server, null, {}),
    error(error) {
      const errorId = crypto.randomUUID()
      logUnexpectedError(app.log, errorId, 'unknown', error)
      const response = lastResortPage(errorId)
      applySecurityHeaders(response.headers, { kind: 'page', isDatastarVendored: isDatastarVendored(), isHttpsOnly })
      return response
    },
  }
}

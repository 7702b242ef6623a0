import type { BunRequest, Server } from 'bun'
import type { AppContext } from '../app-context.ts'
import { isDatastarVendored } from '../datastar-pin.ts'
import { NotFoundError } from '../errors.ts'
import type { ResolvedSession, Session, SessionStore } from '../session.ts'
import type { Slice } from '../slice.ts'
import type { Handler, HttpMethod, NavItem, RequestContext, RouteTable } from './context.ts'
import { parseCookies, serializeCookie } from './cookies.ts'
import { checkSameOrigin } from './csrf.ts'
import { describeError, errorPage, errorToast } from './error-response.ts'
import { HttpError } from './errors.ts'
import { logUnexpectedError, type RequestLogger } from './request-log.ts'
import { applySecurityHeaders } from './security-headers.ts'
import { setTheme, THEME_COOKIE, themeFromCookie } from './theme.ts'

export interface ShellOptions {
  readonly app: AppContext
  readonly slices: readonly Slice[]
  readonly sessions: SessionStore
  /** One line per request. @default none */
  readonly log?: RequestLogger
}

type Methods = Partial<Readonly<Record<HttpMethod, Handler>>>
type BunRoute = (req: BunRequest, server: Server<undefined>) => Promise<Response>

export interface Shell {
  /** For Bun.serve's `routes`: every slice path, each dispatching by method (405 with Allow). */
  readonly routes: Readonly<Record<string, BunRoute>>
  /** For Bun.serve's `fetch`: whatever no route matched, answered with the styled 404. */
  fetch(req: Request, server: Server<undefined>): Promise<Response>
}

/** The shell's own routes, next to the slices'. */
const SHELL_ROUTES: RouteTable = { '/theme': { POST: setTheme } }

function collectRoutes(app: AppContext, slices: readonly Slice[]): Map<string, Methods> {
  const routes = new Map<string, Methods>(Object.entries(SHELL_ROUTES))
  const owners = new Map<string, string>([...routes.keys()].map((path) => [path, 'shell']))
  for (const slice of slices) {
    for (const [path, methods] of Object.entries(slice.routes(app))) {
      const owner = owners.get(path)
      if (owner) throw new Error(`Cannot register route "${path}" for slice "${slice.name}": owned by "${owner}"`)
      owners.set(path, slice.name)
      routes.set(path, methods)
    }
  }
  return routes
}

function allowed(methods: Methods): string {
  const names = Object.keys(methods)
  if (methods.GET && !methods.HEAD) names.push('HEAD')
  return names.join(', ')
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

/** Builds the HTTP shell: routing, CSRF, sessions, errors, security headers and the request log. */
export function createShell({ app, slices, sessions, log }: ShellOptions): Shell {
  const routes = collectRoutes(app, slices)
  const nav: readonly NavItem[] = slices.flatMap((slice) => (slice.nav ? [slice.nav] : []))
  const production = app.config.env === 'production'
  // The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and Path=/.
  const sessionCookie = production ? '__Host-session' : 'session'

  async function serve(
    req: Request,
    server: Server<undefined>,
    methods: Methods | null,
    params: Record<string, string>,
    route = 'unmatched',
  ) {
    const started = performance.now()
    const url = new URL(req.url)
    const cookies = parseCookies(req.headers.get('cookie'))
    let resolved: ResolvedSession | null = null
    let cookieToSet: Session | null = null
    const ctx: RequestContext = {
      url,
      params,
      app,
      isDatastar: req.headers.get('datastar-request') === 'true',
      requestId: crypto.randomUUID(),
      // Lazy: a request that never looks at its session creates no row and sets no cookie.
      get session() {
        if (!resolved) {
          resolved = sessions.resolve(cookies.get(sessionCookie))
          if (resolved.needsCookie) cookieToSet = resolved.session
        }
        return resolved.session
      },
      rotateSession() {
        const next = sessions.rotate(ctx.session)
        resolved = { session: next, isNew: false, needsCookie: true }
        cookieToSet = next
        return next
      },
      nav,
      theme: themeFromCookie(cookies.get(THEME_COOKIE)),
      server: { timeout: (request, seconds) => server.timeout(request, seconds) },
    }

    let response: Response
    let errorId: string | undefined
    try {
      checkSameOrigin(req, url)
      if (!methods) throw new NotFoundError(`Cannot find ${url.pathname}: there is no page here`)
      const method = req.method as HttpMethod
      const handler = methods[method] ?? (method === 'HEAD' ? methods.GET : undefined)
      if (!handler) {
        const allow = allowed(methods)
        throw new HttpError(405, `Cannot ${req.method} ${url.pathname}: allowed ${allow}`, {
          headers: { Allow: allow },
        })
      }
      response = await handler(req, ctx)
    } catch (error) {
      const described = describeError(error)
      if (described.errorId) {
        errorId = described.errorId
        logUnexpectedError(errorId, ctx.requestId, error)
      }
      const isCommand = req.method !== 'GET' && req.method !== 'HEAD'
      response =
        ctx.isDatastar && isCommand && described.status !== 403 ? errorToast(described) : errorPage(ctx, described)
    }

    const final = finish(req, response, (headers) => {
      applySecurityHeaders(headers, { isDatastarVendored: isDatastarVendored() })
      if (cookieToSet) {
        const session: Session = cookieToSet
        headers.append(
          'Set-Cookie',
          serializeCookie(sessionCookie, session.token, { maxAgeSeconds: sessions.maxAgeSeconds, secure: production }),
        )
      }
    })
    log?.({
      time: new Date().toISOString(),
      requestId: ctx.requestId,
      method: req.method,
      path: url.pathname,
      route,
      status: Number(final.headers.get('ironstar-status') ?? final.status),
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      ...(errorId ? { errorId } : {}),
    })
    return final
  }

  const bunRoutes: Record<string, BunRoute> = {}
  for (const [path, methods] of routes) {
    bunRoutes[path] = (req, server) => serve(req, server, methods, req.params as Record<string, string>, path)
  }
  return {
    routes: bunRoutes,
    fetch: (req, server) => serve(req, server, null, {}),
  }
}

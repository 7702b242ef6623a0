import type { BunRequest, Server } from 'bun'
import type { AppContext } from '../../app-context.ts'
import type { MetricsRegistry } from '../../ops/metrics.ts'
import type { Slice } from '../../slice.ts'
import { isDatastarVendored } from '../datastar-pin.ts'
import type { SessionPort } from '../session-port.ts'
import type { NavItem, RouteTable, ServerHandle } from './context.ts'
import { lastResortPage } from './error-response.ts'
import { createExchange, parseTarget } from './exchange.ts'
import type { Readiness } from './middleware/startup-gate.ts'
import { createOriginPolicy, type OriginPolicy } from './origin.ts'
import { requestPipeline } from './pipeline.ts'
import { logUnexpectedError, type RequestLogger } from './request-log.ts'
import { type RouteMatch, Router } from './router.ts'
import { applySecurityHeaders } from './security-headers.ts'
import { setTheme } from './theme.ts'

export interface ShellOptions {
  readonly app: AppContext
  readonly slices: readonly Slice[]
  readonly sessions: SessionPort
  /**
   * Routes that serve files and operations rather than pages (assets, `/healthz`, `/metrics`):
   * the same host check, errors, headers and log as the slices' routes, with the file policy.
   */
  readonly platform?: RouteTable
  /** Counts and times every request. */
  readonly metrics: MetricsRegistry
  /** One line per request. @default none */
  readonly log?: RequestLogger
  /** The port the app answers on (the origin policy's): the bound one once Bun.serve listens. */
  readonly port: () => number
  /** How browsers reach the app itself: `https:` when it serves TLS. @default 'http:' */
  readonly scheme?: 'http:' | 'https:'
  /** While the server starts: what a slice's routes wait for (see startupGate). @default always ready */
  readonly readiness?: Readiness
}

type BunRoute = (req: BunRequest, server: Server<undefined>) => Promise<Response>

export interface Shell {
  /**
   * The whole app as a function, called in process: a Request in, its Response out, through the
   * same pipeline as a served request. A Request without `Host` gets its URL's (what an HTTP
   * client sends); a feed has no idle timeout to lift.
   */
  fetch(req: Request): Promise<Response>
  /** For Bun.serve's `routes`: the same routes, matched by Bun's router, into the same pipeline. */
  readonly routes: Readonly<Record<string, BunRoute>>
  /** For Bun.serve's `fetch`: what Bun's router did not match, matched against the same table. */
  unrouted(req: Request, server: ServerHandle): Promise<Response>
  /** For Bun.serve's `error`, and the pipeline's own last resort: never Bun's page, never detail. */
  error(error: unknown): Response
}

/** The shell's own routes, next to the slices'. */
const SHELL_ROUTES: RouteTable = { '/theme': { POST: setTheme } }

/** Builds the HTTP shell: one route table and one request pipeline for Bun.serve and `fetch` alike. */
export function createShell(options: ShellOptions): Shell {
  const { app, slices, sessions, platform = {}, metrics, log, port, scheme = 'http:', readiness } = options
  const router = new Router([
    { owner: 'shell', table: SHELL_ROUTES, kind: 'page' },
    { owner: 'platform', table: platform, kind: 'file' },
    ...slices.map((slice) => ({ owner: slice.name, table: slice.routes(app), kind: 'page' as const })),
  ])
  const nav: readonly NavItem[] = slices.flatMap((slice) => (slice.nav ? [slice.nav] : []))
  const production = app.config.env === 'production'
  const publicOrigins = app.config.publicOrigins ?? []
  const isHttpsOnly = production && publicOrigins.length > 0 && publicOrigins.every((o) => o.startsWith('https:'))
  // The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and Path=/.
  const cookie = {
    name: production ? '__Host-session' : 'session',
    maxAgeSeconds: sessions.maxAgeSeconds,
    // Secure over TLS whatever the env: cookies ignore the port, so a plain-HTTP server on the same host would get it.
    secure: production || scheme === 'https:',
  }
  // Known at the first request: with PORT=0 the default origin is the port actually bound.
  let policy: OriginPolicy | undefined
  const originPolicy = () => {
    policy ??= createOriginPolicy({ publicOrigins, hostname: app.config.host, port: port(), scheme })
    return policy
  }
  const pipeline = requestPipeline({ app, nav, originPolicy, cookie, isHttpsOnly, metrics, log, readiness })

  function error(cause: unknown): Response {
    const errorId = crypto.randomUUID()
    logUnexpectedError(app.log, errorId, 'unknown', cause)
    const response = lastResortPage(errorId)
    applySecurityHeaders(response.headers, { kind: 'page', isDatastarVendored: isDatastarVendored(), isHttpsOnly })
    return response
  }

  function run(req: Request, url: URL | undefined, match: RouteMatch | null, server: ServerHandle | undefined) {
    const exchange = createExchange(req, url, match, server, { sessions, sessionCookie: cookie.name })
    return pipeline(exchange).catch(error)
  }

  const routes: Record<string, BunRoute> = {}
  for (const route of router.routes.values()) {
    routes[route.pattern] = (req, server) => run(req, parseTarget(req), { route, params: req.params }, server)
  }
  function route(req: Request, server: ServerHandle | undefined) {
    const url = parseTarget(req)
    return run(req, url, url ? router.match(url.pathname) : null, server)
  }

  return {
    fetch(req) {
      const url = req.headers.has('host') ? undefined : parseTarget(req)
      if (!url) return route(req, undefined)
      const headers = new Headers(req.headers)
      headers.set('Host', url.host)
      return route(new Request(req, { headers }), undefined)
    },
    routes,
    unrouted: route,
    error,
  }
}

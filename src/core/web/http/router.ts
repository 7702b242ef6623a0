import type { Handler, HttpMethod, RouteTable } from './context.ts'
import { HttpError } from './errors.ts'

type Methods = Partial<Readonly<Record<HttpMethod, Handler>>>

/** One path of the app: its handlers by method, and which security policy its answers get. */
export interface Route {
  /** The path as registered (`/todos/:id`): the bounded label for logs and metrics. */
  readonly pattern: string
  readonly methods: Methods
  /** `page` for what the shell renders; `file` for assets and operations. */
  readonly kind: 'page' | 'file'
  /** Who registered it: `shell`, `platform`, or a slice's name. */
  readonly owner: string
}

export interface RouteMatch {
  readonly route: Route
  readonly params: Readonly<Record<string, string>>
}

/** A table of routes registered under one owner (`shell`, `platform`, a slice's name). */
export interface RouteGroup {
  readonly owner: string
  readonly table: RouteTable
  readonly kind: Route['kind']
}

/** A route with a `:param` or a trailing `*`, split into segments for matching. */
interface PatternRoute {
  readonly route: Route
  readonly segments: readonly string[]
  readonly wildcard: boolean
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({})

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment // Malformed escapes stay as sent; the route's parameter schema refuses them.
  }
}

/** Static segments sort before parameters, and a wildcard after both, as in Bun's router. */
function specificity(pattern: PatternRoute): number[] {
  const ranks = pattern.segments.map((segment) => (segment.startsWith(':') ? 1 : 0))
  return pattern.wildcard ? [...ranks, 2] : ranks
}

function bySpecificity(a: PatternRoute, b: PatternRoute): number {
  const [x, y] = [specificity(a), specificity(b)]
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const difference = (x[i] ?? 0) - (y[i] ?? 0)
    if (difference !== 0) return difference
  }
  return y.length - x.length
}

/**
 * Every route of the app, matched with Bun's path syntax (`/todos/:id`, `/assets/*`) for
 * requests that do not come through Bun.serve's own router; both see the same table.
 */
export class Router {
  readonly routes: ReadonlyMap<string, Route>
  readonly #exact = new Map<string, Route>()
  readonly #patterns: PatternRoute[] = []

  constructor(groups: readonly RouteGroup[]) {
    const routes = new Map<string, Route>()
    const owners = new Map<string, string>()
    for (const { owner, table, kind } of groups) {
      for (const [pattern, methods] of Object.entries(table)) {
        const taken = owners.get(pattern)
        if (taken) throw new Error(`Cannot register route "${pattern}" for "${owner}": owned by "${taken}"`)
        owners.set(pattern, owner)
        routes.set(pattern, { pattern, methods, kind, owner })
      }
    }
    this.routes = routes
    for (const route of routes.values()) {
      const wildcard = route.pattern.endsWith('/*')
      const segments = (wildcard ? route.pattern.slice(0, -2) : route.pattern).split('/')
      if (!wildcard && !segments.some((segment) => segment.startsWith(':'))) this.#exact.set(route.pattern, route)
      else this.#patterns.push({ route, segments, wildcard })
    }
    this.#patterns.sort(bySpecificity)
  }

  match(pathname: string): RouteMatch | null {
    const exact = this.#exact.get(pathname)
    if (exact) return { route: exact, params: NO_PARAMS }
    const segments = pathname.split('/')
    for (const pattern of this.#patterns) {
      const params = matchSegments(pattern, segments)
      if (params) return { route: pattern.route, params }
    }
    return null
  }
}

/** The parameters when `segments` fit the pattern; a wildcard needs at least one segment after its prefix. */
function matchSegments(pattern: PatternRoute, segments: readonly string[]): Record<string, string> | null {
  const fits = pattern.wildcard
    ? segments.length > pattern.segments.length
    : segments.length === pattern.segments.length
  if (!fits) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < pattern.segments.length; i++) {
    const expected = pattern.segments[i] ?? ''
    const actual = segments[i] ?? ''
    if (!expected.startsWith(':')) {
      if (expected !== actual) return null
    } else if (actual === '') return null
    else params[expected.slice(1)] = decodeSegment(actual)
  }
  return params
}

function allowed(methods: Methods): string {
  const names = Object.keys(methods)
  if (methods.GET && !methods.HEAD) names.push('HEAD')
  return names.join(', ')
}

/** The handler for the method (GET serves HEAD), else a 405 naming the allowed ones. */
export function handlerFor(route: Route, method: string, url: URL): Handler {
  const { methods } = route
  const handler = methods[method as HttpMethod] ?? (method === 'HEAD' ? methods.GET : undefined)
  if (handler) return handler
  const allow = allowed(methods)
  throw new HttpError(405, `Cannot ${method} ${url.pathname}: allowed ${allow}`, { headers: { Allow: allow } })
}

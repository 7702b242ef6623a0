import type { AppContext } from '../../../app-context.ts'
import { NotFoundError } from '../../../errors.ts'
import type { Next } from '../compose.ts'
import type { NavItem, RequestContext } from '../context.ts'
import { targetOf } from '../exchange.ts'
import { handlerFor } from '../router.ts'

export interface RouteContextOptions {
  readonly app: AppContext
  readonly nav: readonly NavItem[]
}

/** The endpoint: the matched route's handler for the method (404, 405 otherwise), called with its context. */
export function callRoute({ app, nav }: RouteContextOptions): Next {
  return async function route(ex) {
    const url = targetOf(ex)
    if (!ex.match) throw new NotFoundError(`Cannot find ${url.pathname}: there is no page here`)
    const { route, params } = ex.match
    const handler = handlerFor(route, ex.req.method, url)
    const { session } = ex
    const ctx: RequestContext = {
      url,
      params,
      app,
      isDatastar: ex.isDatastar,
      requestId: ex.requestId,
      get session() {
        return session.session
      },
      rotateSession: () => session.rotate(),
      nav,
      theme: ex.theme,
      devReloadScript: app.devReloadScript,
      server: ex.server,
    }
    const response = await handler(ex.req, ctx)
    if (!(response instanceof Response)) {
      throw new TypeError(`Cannot send what ${route.pattern} returned: not a Response`)
    }
    ex.kind = route.kind
    return response
  }
}

import type { AppContext } from '../../core/app-context.ts'
import type { Handler, RouteTable } from '../../core/http/context.ts'
import { page } from '../../core/ui/layout.ts'
import { monitorTicker } from './ticker.ts'
import { monitorPage } from './views.ts'

const showMonitor: Handler = function showMonitor(_req, ctx) {
  const ticker = monitorTicker(ctx.app)
  ticker.touch()
  return page(
    ctx,
    { title: 'Monitor', body: monitorPage(ticker.history) },
    { headers: { 'Cache-Control': 'no-store' } },
  )
}

const monitorFeed: Handler = function monitorFeed(req, ctx) {
  return monitorTicker(ctx.app).connect(req, ctx)
}

export function monitorRoutes(_app: AppContext): RouteTable {
  return {
    '/monitor': { GET: showMonitor },
    '/monitor/feed': { GET: monitorFeed },
  }
}

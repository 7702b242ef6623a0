import type { Handler, RouteTable } from '../../core/web/http/context.ts'
import { serveFeed } from '../../core/web/sse.ts'
import { page } from '../../core/web/ui/layout.ts'
import { monitorSampler } from './sampler.ts'
import { monitorPage, monitorRegion } from './views.ts'

/** The tiles change with the clock, not with events: one render a second for every open monitor. */
const TICK_MS = 1_000

const showMonitor: Handler = function showMonitor(_req, ctx) {
  const sampler = ctx.app.resource(monitorSampler)
  sampler.touch()
  return page(
    ctx,
    { title: 'Monitor', body: monitorPage(sampler.history) },
    { headers: { 'Cache-Control': 'no-store' } },
  )
}

const monitorFeed: Handler = function monitorFeed(req, ctx) {
  const sampler = ctx.app.resource(monitorSampler)
  return serveFeed(req, ctx, {
    key: 'monitor',
    everyMs: TICK_MS,
    render: () => {
      sampler.touch()
      return monitorRegion(sampler.history).value
    },
  })
}

export const monitorRoutes: RouteTable = {
  '/monitor': { GET: showMonitor },
  '/monitor/feed': { GET: monitorFeed },
}

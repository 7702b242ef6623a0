import type { MetricsRegistry } from '../../../ops/metrics.ts'
import type { Middleware } from '../compose.ts'
import { elapsedMs, reportedStatus, routeLabel } from '../exchange.ts'

/** Counts requests by route, method and status, and times them by route (labels bounded by the route table). */
export function requestMetrics(registry: MetricsRegistry): Middleware {
  return async function countRequest(ex, next) {
    const response = await next(ex)
    const route = routeLabel(ex)
    const labels = { route, method: ex.req.method, status: reportedStatus(response) }
    registry.counter('ironstar_http_requests_total', labels, { help: 'HTTP requests by route and status' }).inc()
    registry
      .histogram('ironstar_http_request_duration_seconds', { route }, { help: 'Time to the response headers' })
      .observe(elapsedMs(ex) / 1000)
    return response
  }
}

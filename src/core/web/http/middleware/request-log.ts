import type { Middleware } from '../compose.ts'
import { elapsedMs, reportedStatus, routeLabel } from '../exchange.ts'
import type { RequestLogger } from '../request-log.ts'

/** Longest path a request log line carries: the path is the sender's to choose. */
const MAX_LOGGED_PATH = 512

function loggedPath(url: URL | undefined): string {
  if (!url) return '(unreadable)'
  return url.pathname.length > MAX_LOGGED_PATH ? `${url.pathname.slice(0, MAX_LOGGED_PATH)}…` : url.pathname
}

/** One line per request, with the status the visitor got and the error id of an unexpected failure. */
export function requestLog(log: RequestLogger): Middleware {
  return async function logRequest(ex, next) {
    const response = await next(ex)
    log({
      time: new Date().toISOString(),
      requestId: ex.requestId,
      method: ex.req.method,
      path: loggedPath(ex.url),
      route: routeLabel(ex),
      status: reportedStatus(response),
      durationMs: elapsedMs(ex),
      ...(ex.errorId ? { errorId: ex.errorId } : {}),
    })
    return response
  }
}

import type { AppContext } from '../../../app-context.ts'
import type { Middleware } from '../compose.ts'
import type { NavItem } from '../context.ts'
import { isSafeMethod } from '../csrf.ts'
import { describeError, errorPage, errorToast } from '../error-response.ts'
import { logUnexpectedError } from '../request-log.ts'

/** The URL an error page is laid out with when the request's own could not be read. */
const UNREADABLE_URL = new URL('http://unreadable.invalid/')

/**
 * Answers whatever the checks or the handler threw, through the one error table: a styled page,
 * or a toast for a Datastar command (a 403 stays a page: the form came from elsewhere). An
 * unexpected error is logged with its stack under the id the visitor sees.
 */
export function errorAnswers({ nav, app }: { nav: readonly NavItem[]; app: AppContext }): Middleware {
  return async function answerErrors(ex, next) {
    try {
      return await next(ex)
    } catch (error) {
      const described = describeError(error)
      if (described.errorId) {
        ex.errorId = described.errorId
        logUnexpectedError(app.log, described.errorId, ex.requestId, error)
      }
      const isCommand = !isSafeMethod(ex.req.method)
      if (ex.isDatastar && isCommand && described.status !== 403) return errorToast(described)
      return errorPage(
        { url: ex.url ?? UNREADABLE_URL, nav, theme: ex.theme, devReloadScript: app.devReloadScript },
        described,
      )
    }
  }
}

import {
  expectedStatus,
  NotReadyError,
  OverloadedError,
  StorageFaultError,
  UnexpectedError,
  VersionConflict,
} from '../../errors.ts'
import { type Html, html } from '../html.ts'
import { icon } from '../ui/icons.ts'
import { type LayoutContext, layout } from '../ui/layout.ts'
import { HttpError, STATUS_TITLES } from './errors.ts'

/** How an error is answered: status, a message safe to show, and extra headers. */
export interface ErrorDescription {
  readonly status: number
  readonly message: string
  /** The heading, when the status's own title would mislead (a 503 for a full disk is not "busy"). */
  readonly title?: string
  readonly headers: Readonly<Record<string, string>>
  /** Set for unexpected errors: logged with the stack and shown to the user. */
  readonly errorId?: string
}

/** Maps the closed error taxonomy to answers; the statuses come from the table in core/errors.ts. Anything else is a 500. */
export function describeError(error: unknown): ErrorDescription {
  const none = {}
  if (error instanceof HttpError) return { status: error.status, message: error.message, headers: error.headers }
  const status = expectedStatus(error)
  if (status !== undefined) {
    if (error instanceof VersionConflict) {
      return { status, message: 'Someone else changed this at the same time: reload and try again', headers: none }
    }
    if (error instanceof OverloadedError) {
      return { status, message: 'The server is busy: try again in a moment', headers: { 'Retry-After': '1' } }
    }
    if (error instanceof NotReadyError) {
      return { status, message: error.message, headers: { 'Retry-After': '1' } }
    }
    if (error instanceof StorageFaultError) {
      return { status, title: 'Cannot save right now', message: error.message, headers: { 'Retry-After': '30' } }
    }
    return { status, message: (error as Error).message, headers: none }
  }
  return {
    status: 500,
    message: 'The server hit an unexpected error. It has been logged',
    headers: none,
    // An UnexpectedError already carries the id its creator may have logged.
    errorId: error instanceof UnexpectedError ? error.errorId : crypto.randomUUID(),
  }
}

function titleOf(described: ErrorDescription): string {
  return described.title ?? STATUS_TITLES[described.status] ?? 'Error'
}

function errorBody(described: ErrorDescription): Html {
  const title = titleOf(described)
  return html`<section class="error-page card">
    <p class="error-page__status">${icon('circle-alert')} ${described.status}</p>
    <h1>${title}</h1>
    <p>${described.message}</p>
    ${described.errorId ? html`<p class="muted">Error id <code>${described.errorId}</code>: quote it when you report this.</p>` : ''}
    <p><a class="button" href="/">Back to the start page</a></p>
  </section>`
}

/** A styled error page with the right status. */
export function errorPage(ctx: LayoutContext, described: ErrorDescription): Response {
  const title = titleOf(described)
  const page = layout(ctx, { title, body: errorBody(described) })
  return new Response(page.value, {
    status: described.status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', ...described.headers },
  })
}

/**
 * The Datastar answer to a failed command: a toast appended to `#toasts`. Datastar ignores the
 * body of a non-2xx response, so the toast goes out as a 200 `text/html` patch and the real
 * status travels in `Ironstar-Status` (and in the request log).
 */
export function errorToast(described: ErrorDescription): Response {
  const toast = html`<div class="toast toast--danger" role="alert">${icon('circle-alert')}<div><strong>${titleOf(described)}</strong><p>${described.message}${described.errorId ? html` (error id <code>${described.errorId}</code>)` : ''}</p></div></div>`
  return new Response(toast.value, {
    status: 200,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Datastar-Selector': '#toasts',
      'Datastar-Mode': 'append',
      'Ironstar-Status': String(described.status),
      ...described.headers,
    },
  })
}

/**
 * What Bun.serve's `error` handler answers if the shell itself failed: no layout (it may be
 * what broke), no detail, only the error id the log has.
 */
export function lastResortPage(errorId: string): Response {
  const page = html`<!doctype html><html lang="en"><meta charset="utf-8"><title>Something went wrong</title>
<h1>Something went wrong</h1><p>The server hit an unexpected error. It has been logged.</p>
<p>Error id <code>${errorId}</code>: quote it when you report this.</p></html>`
  return new Response(page.value, { status: 500, headers: { 'Content-Type': 'text/html; charset=utf-8' } })
}

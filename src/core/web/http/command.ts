import { z } from 'zod'
import { RuleViolation } from '../../errors.ts'
import type { AnyProjectionDefinition } from '../../eventsourcing/projections.ts'
import type { Html } from '../html.ts'
import type { Handler, RequestContext } from './context.ts'
import { InputError, parseInput } from './input.ts'

/** 303 See Other back to a page for a plain form; 204 for Datastar (the feed shows the change). */
export function commandAccepted(ctx: RequestContext, redirectTo: string = ctx.url.pathname): Response {
  if (ctx.isDatastar) return new Response(null, { status: 204 })
  return new Response(null, { status: 303, headers: { Location: redirectTo } })
}

/** What a command's form looks like again after a refusal: values sent, messages per field. */
export interface Rejection {
  readonly values: Readonly<Record<string, unknown>>
  /** Field name → message; `_form` for a message about the whole form. */
  readonly issues: Readonly<Record<string, string>>
}

export interface RejectionViews {
  /** The whole page with the errors in it (plain form post: 422). */
  page: () => Html
  /** The form region alone, with its `id`, for Datastar to morph (200 text/html). */
  region: () => Html
}

/** Answers a refused command: 422 page for a plain post, a morph of the form region for Datastar. */
export function commandRejected(ctx: RequestContext, views: RejectionViews): Response {
  const headers = { 'Content-Type': 'text/html; charset=utf-8' }
  if (ctx.isDatastar)
    return new Response(views.region().value, { status: 200, headers: { ...headers, 'Ironstar-Status': '422' } })
  return new Response(views.page().value, { status: 422, headers })
}

const NO_FIELDS = z.object({})

export interface CommandRouteOptions<Schema extends z.ZodType> {
  /** Parses the input; failures are shown next to their fields. @default no fields (a button) */
  input?: Schema
  /**
   * Runs the command; may return a string (where a plain form should be redirected) or the
   * command's result (what `waitFor` waits for).
   */
  handle: (input: z.output<Schema>, ctx: RequestContext, req: Request) => Promise<unknown>
  /** The read model to wait for before answering, so the next page shows the change (read-your-writes). */
  waitFor?: AnyProjectionDefinition
  /** Where a plain form goes after success. @default the request's own path */
  redirect?: string | ((ctx: RequestContext) => string)
  /** Views for a refusal; without them a refusal is a plain error (400/409). */
  rejected?: (ctx: RequestContext, rejection: Rejection) => RejectionViews
}

/**
 * One handler for a command route, serving a plain form post and a Datastar request alike:
 * parse with zod → handle → 303 or 204. Invalid input, and a RuleViolation that names a
 * field (or the whole form), re-render the form with the message next to the field and
 * write nothing.
 */
export function commandRoute<Schema extends z.ZodType = z.ZodObject>(options: CommandRouteOptions<Schema>): Handler {
  const { input = NO_FIELDS as unknown as Schema, handle, redirect, rejected, waitFor } = options
  return async function command(req, ctx) {
    let values: Readonly<Record<string, unknown>> = {}
    try {
      const parsed = await parseInput(req, ctx, input)
      values = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {}
      const target = await handle(parsed, ctx, req)
      const position = positionOf(target)
      if (waitFor && position > 0) await ctx.app.projection(waitFor).waitFor(position, { signal: req.signal })
      const fallback = typeof redirect === 'function' ? redirect(ctx) : redirect
      return commandAccepted(ctx, (typeof target === 'string' && target) || fallback || ctx.url.pathname)
    } catch (error) {
      if (!rejected) throw error
      if (error instanceof InputError) return commandRejected(ctx, rejected(ctx, error))
      if (error instanceof RuleViolation) {
        const issues = { [error.field ?? '_form']: error.message }
        return commandRejected(ctx, rejected(ctx, { values, issues }))
      }
      throw error
    }
  }
}

/** The position a command's result is visible at (0 when it wrote nothing, or is not a result). */
function positionOf(outcome: unknown): number {
  if (typeof outcome !== 'object' || outcome === null || !('position' in outcome)) return 0
  return typeof outcome.position === 'number' ? outcome.position : 0
}

import type { z } from 'zod'
import { NotFoundError, ValidationError } from '../../errors.ts'
import { readRawInput } from './body.ts'
import type { RequestContext } from './context.ts'
import { assertValidText } from './valid-text.ts'

/** zod issues → `{ field: message }` (first message per field; `_form` for the whole input). */
export function issuesByField(error: z.ZodError): Record<string, string> {
  const issues: Record<string, string> = {}
  for (const issue of error.issues) {
    const key = issue.path.length > 0 ? issue.path.join('.') : '_form'
    issues[key] ??= issue.message
  }
  return issues
}

/** A failed parse, carrying what was sent so a form can be shown again with it. */
export class InputError extends ValidationError {
  constructor(
    readonly values: Readonly<Record<string, unknown>>,
    issues: Readonly<Record<string, string>>,
  ) {
    super(
      `Cannot accept input: ${Object.entries(issues)
        .map(([field, message]) => `${field}: ${message}`)
        .join('; ')}`,
      issues,
    )
  }
}

export interface ParseInputOptions {
  /** @default the configured BODY_LIMIT_BYTES */
  limitBytes?: number
}

/**
 * Reads a command's input (form post, Datastar form, or Datastar signals JSON) and parses it
 * with `schema`. Too large → PayloadTooLargeError (413); malformed → HttpError 400;
 * invalid → InputError (a ValidationError with per-field issues and the values sent).
 */
export async function parseInput<Schema extends z.ZodType>(
  req: Request,
  ctx: RequestContext,
  schema: Schema,
  options: ParseInputOptions = {},
): Promise<z.output<Schema>> {
  const { limitBytes = ctx.app.config.bodyLimitBytes } = options
  const values = await readRawInput(req, ctx.url, limitBytes)
  const result = schema.safeParse(values)
  if (!result.success) throw new InputError(values, issuesByField(result.error))
  return result.data
}

/** Route parameters: invalid text → 422; a value that does not fit the schema names nothing that exists (404). */
export function parseParams<Schema extends z.ZodType>(ctx: RequestContext, schema: Schema): z.output<Schema> {
  assertValidText(ctx.params, 'path')
  const result = schema.safeParse(ctx.params)
  if (!result.success) throw new NotFoundError(`Cannot find ${ctx.url.pathname}`)
  return result.data
}

/** Query string parameters (repeated names keep the last value); invalid text → 422, invalid → 400. */
export function parseQuery<Schema extends z.ZodType>(ctx: RequestContext, schema: Schema): z.output<Schema> {
  const values = Object.fromEntries(ctx.url.searchParams)
  assertValidText(values, 'query')
  const result = schema.safeParse(values)
  if (!result.success) {
    const issues = issuesByField(result.error)
    throw new ValidationError(
      `Cannot read query: ${Object.entries(issues)
        .map(([field, message]) => `${field}: ${message}`)
        .join('; ')}`,
      issues,
    )
  }
  return result.data
}

/** Why an analytics query did not produce a result; the explore page shows `message` as it is. */
export type QueryFailureReason = 'timeout' | 'cancelled' | 'failed'

/**
 * A query ran and DuckDB stopped it (timeout, cancel) or refused it (syntax, permissions, memory).
 * Messages are written for the person who typed the query: they never carry a stack.
 */
export class AnalyticsQueryError extends Error {
  override readonly name = 'AnalyticsQueryError'
  constructor(
    message: string,
    readonly reason: QueryFailureReason,
    options: { cause?: unknown } = {},
  ) {
    super(message, options)
  }
}

const PERMISSION = /Permission Error: Cannot access (?:file|directory) "([^"]*)"/
const FIRST_LINE = /^[^\n]*/

/** Turns DuckDB's error text into a message for the page: one line, the sandbox named plainly. */
export function describeDuckDbError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  const denied = PERMISSION.exec(text)
  if (denied) {
    return `Cannot open "${denied[1]}": queries may only read the sample files`
  }
  if (text.includes('Loading external extensions is disabled')) {
    return 'Cannot load extensions from a query: extensions are set up by the server'
  }
  if (text.includes('the configuration has been locked')) {
    return 'Cannot change settings from a query: the configuration is locked'
  }
  return FIRST_LINE.exec(text)?.[0] ?? 'Query failed'
}

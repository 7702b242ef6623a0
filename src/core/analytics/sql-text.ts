import { ValidationError } from '../errors.ts'

/** Longest query text accepted; a form field, not a file upload. */
export const MAX_QUERY_LENGTH = 20_000

/** The trimmed query, or a ValidationError when it is empty or too long. */
export function assertQueryText(sql: string): string {
  const trimmed = sql.trim()
  if (trimmed.length === 0) throw new ValidationError('Cannot run query: it is empty', { sql: 'Write a query' })
  if (trimmed.length > MAX_QUERY_LENGTH) {
    throw new ValidationError(
      `Cannot run query: it is ${trimmed.length} characters, the limit is ${MAX_QUERY_LENGTH}`,
      { sql: 'Shorten the query' },
    )
  }
  return trimmed
}

/**
 * The first word of the statement, upper case, past comments: only to name a refused statement
 * in its message (`COPY statements are not allowed`). What is refused is decided on DuckDB's parse.
 */
export function leadingKeyword(sql: string): string {
  const code = sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ')
  return /^[\s(]*([A-Za-z]+)/.exec(code)?.[1]?.toUpperCase() ?? ''
}

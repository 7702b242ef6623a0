import { ValidationError } from '../errors.ts'

/** Statements that only read; everything else is refused before DuckDB sees it. */
const READ_STATEMENTS = new Set([
  'SELECT',
  'WITH',
  'FROM',
  'VALUES',
  'TABLE',
  'DESCRIBE',
  'SHOW',
  'SUMMARIZE',
  'EXPLAIN',
])

/** Longest query text accepted; a form field, not a file upload. */
export const MAX_QUERY_LENGTH = 20_000

/**
 * Removes comments and the contents of quoted strings and identifiers, so a keyword inside
 * `'...'` or `-- ...` neither trips nor fools the check below.
 */
function stripLiterals(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
}

/**
 * Gives a clear message for a statement that would not be read-only. This is the friendly
 * layer only: DuckDB itself enforces the sandbox (external access limited to the sample data
 * directory, configuration locked) and the statement type is checked again after DuckDB
 * parses the query, so a trick that fools this text check still cannot write or escape.
 */
export function assertReadOnlySql(sql: string): string {
  const trimmed = sql.trim()
  if (trimmed.length === 0) throw new ValidationError('Cannot run query: it is empty', { sql: 'Write a query' })
  if (trimmed.length > MAX_QUERY_LENGTH) {
    throw new ValidationError(
      `Cannot run query: it is ${trimmed.length} characters, the limit is ${MAX_QUERY_LENGTH}`,
      {
        sql: 'Shorten the query',
      },
    )
  }
  const code = stripLiterals(trimmed).replace(/;\s*$/, '')
  if (code.includes(';')) {
    throw new ValidationError('Cannot run query: it holds more than one statement', { sql: 'Run one statement' })
  }
  const keyword = /^[\s(]*([A-Za-z]+)/.exec(code)?.[1]?.toUpperCase() ?? ''
  if (!READ_STATEMENTS.has(keyword)) {
    const what = keyword ? `${keyword} statements are not allowed` : 'it does not start with a statement'
    throw new ValidationError(`Cannot run query: ${what}; only read-only queries (SELECT, WITH, FROM, …) run here`, {
      sql: 'Only read-only queries run here',
    })
  }
  return trimmed
}

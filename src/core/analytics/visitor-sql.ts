import type { DuckDBConnection } from '@duckdb/node-api'
import { ValidationError } from '../errors.ts'
import type { ExploreCatalog } from './explore-catalog.ts'
import { assertVisibleReferences } from './sql-references.ts'
import { assertQueryText, leadingKeyword } from './sql-text.ts'

/** What `json_serialize_sql` answers: the parse tree of SELECT statements, or why there is none. */
interface Serialized {
  readonly error: boolean
  readonly error_type?: string
  readonly error_message?: string
  readonly statements?: readonly unknown[]
}

// Only the keyword and plain whitespace: a comment in between would have to be lexed exactly as
// DuckDB lexes it to know what follows, so `EXPLAIN` must come first, followed by the query.
const EXPLAIN = /^EXPLAIN[ \t\r\n]+/i
const ANALYZE = /^ANALY[SZ]E\b/i
const READ_ONLY = 'only read-only queries (SELECT, WITH, FROM, …) run here'

function refuse(message: string, field = 'Only read-only queries run here'): never {
  throw new ValidationError(`Cannot run query: ${message}`, { sql: field })
}

/** DuckDB's parser, without binding or running anything: the statement goes in as a value. */
async function serialize(connection: DuckDBConnection, sql: string): Promise<Serialized> {
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql])
  return JSON.parse(String(reader.getRows()[0]?.[0])) as Serialized
}

function theStatement(parsed: Serialized): unknown {
  const count = parsed.statements?.length ?? 0
  if (count > 1) refuse('it holds more than one statement', 'Run one statement')
  if (count === 0) refuse('it holds no statement', 'Write a query')
  return parsed.statements?.[0]
}

async function notAQuery(connection: DuckDBConnection, sql: string, parsed: Serialized): Promise<never> {
  if (parsed.error_type !== 'not implemented') refuse(parsed.error_message ?? 'DuckDB cannot parse it', 'Check the SQL')
  const keyword = leadingKeyword(sql)
  const reads = ['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE', 'DESCRIBE', 'SHOW', 'SUMMARIZE', '']
  if (!reads.includes(keyword)) refuse(`${keyword} statements are not allowed; ${READ_ONLY}`)
  if ((await connection.extractStatements(sql)).count > 1)
    refuse('it holds more than one statement', 'Run one statement')
  refuse(`it is not a read-only query; ${READ_ONLY}`)
}

/**
 * The parse tree of the one query in `sql`, decided by DuckDB's own parser: `json_serialize_sql`
 * serializes SELECT statements only (DESCRIBE, SHOW, SUMMARIZE and UNPIVOT are SELECTs to it), so
 * anything it refuses is not a query, however it is spelled (comments, casing, nesting, CTEs).
 * `EXPLAIN` is allowed only as the first word, without ANALYZE or options (ANALYZE would run the
 * statement), and the statement under it must itself pass: DuckDB lexes `EXPLAIN` + whitespace +
 * the rest as `EXPLAIN` followed by the rest's own tokens, so checking the rest checks the whole.
 */
async function parseQuery(connection: DuckDBConnection, sql: string): Promise<unknown> {
  const parsed = await serialize(connection, sql)
  if (!parsed.error) return theStatement(parsed)
  const explain = EXPLAIN.exec(sql)
  if (!explain || parsed.error_type !== 'not implemented') return notAQuery(connection, sql, parsed)
  const rest = sql.slice(explain[0].length)
  if (ANALYZE.test(rest)) refuse('EXPLAIN ANALYZE runs the statement; use EXPLAIN alone', 'Use EXPLAIN without ANALYZE')
  const under = await serialize(connection, rest)
  if (under.error) refuse(`only EXPLAIN followed by a read-only query is allowed (no ANALYZE, no options)`)
  return theStatement(under)
}

/**
 * Refuses, with a message for the SQL field, anything that is not one read-only query over the
 * views Explore shows. Returns the trimmed query. This is one of three locks: visitor queries also
 * run in a read-only transaction, and DuckDB opens no local file but the samples (`sandbox.ts`).
 */
export async function assertVisitorSql(
  connection: DuckDBConnection,
  sql: string,
  catalog: ExploreCatalog,
): Promise<string> {
  const text = assertQueryText(sql)
  assertVisibleReferences(await parseQuery(connection, text), catalog)
  return text
}

import { type DuckDBResult, DuckDBTypeId, JsonDuckDBValueConverter } from '@duckdb/node-api'
import type { Json } from '../eventsourcing/events.ts'

export interface QueryColumn {
  readonly name: string
  /** DuckDB's type name, e.g. `BIGINT`, `TIMESTAMP`, `VARCHAR`. */
  readonly type: string
  readonly isNumeric: boolean
}

export interface ResultLimits {
  /** Rows kept at most. */
  readonly rows: number
  /** Size of the kept rows at most, counted as characters of their JSON. */
  readonly bytes: number
}

export interface QueryResult {
  readonly columns: readonly QueryColumn[]
  readonly rows: readonly (readonly Json[])[]
  /** More rows existed than a limit allowed; `rows` holds the ones that fitted. */
  readonly truncated: boolean
  /** Which limit cut the result, when one did. */
  readonly truncatedBy: 'rows' | 'bytes' | null
  /** Size of `rows` in characters of JSON: what the result costs in memory and in a page. */
  readonly bytes: number
  readonly durationMs: number
}

const NUMERIC = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL,
])

function sizeOf(value: Json): number {
  if (value === null) return 4
  if (typeof value === 'string') return value.length + 2
  if (typeof value === 'object') return JSON.stringify(value).length
  return 8
}

/**
 * Reads a streaming result chunk by chunk and row by row, and stops at the first row that would
 * pass a limit: DuckDB stops producing rows, and memory holds the kept rows plus one row at most.
 * DuckDB's JSON conversion writes 64-bit integers and decimals as strings (to keep precision);
 * charts and sums want numbers, so numeric columns become numbers where a double holds them.
 */
export async function readResult(result: DuckDBResult, limits: ResultLimits, started: number): Promise<QueryResult> {
  const types = result.columnTypes()
  const columns = result.columnNames().map((name, index) => {
    const type = types[index]
    return { name, type: type?.toString() ?? 'UNKNOWN', isNumeric: type ? NUMERIC.has(type.typeId) : false }
  })
  const numeric = columns.flatMap((column, index) => (column.isNumeric ? [index] : []))
  const rows: Json[][] = []
  let bytes = 0
  let truncatedBy: QueryResult['truncatedBy'] = null
  reading: for (;;) {
    const chunk = await result.fetchChunk()
    if (!chunk || chunk.rowCount === 0) break
    for (let index = 0; index < chunk.rowCount; index++) {
      if (rows.length >= limits.rows) {
        truncatedBy = 'rows'
        break reading
      }
      const row = chunk.convertRowValues(index, JsonDuckDBValueConverter) as Json[]
      const size = row.reduce<number>((sum, value) => sum + sizeOf(value), 2)
      if (bytes + size > limits.bytes) {
        truncatedBy = 'bytes'
        break reading
      }
      for (const column of numeric) {
        const value = row[column]
        if (typeof value === 'string') row[column] = Number(value)
      }
      rows.push(row)
      bytes += size
    }
  }
  return { columns, rows, truncated: truncatedBy !== null, truncatedBy, bytes, durationMs: performance.now() - started }
}

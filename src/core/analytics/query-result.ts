import { type DuckDBResultReader, DuckDBTypeId } from '@duckdb/node-api'
import type { Json } from '../events.ts'

export interface QueryColumn {
  readonly name: string
  /** DuckDB's type name, e.g. `BIGINT`, `TIMESTAMP`, `VARCHAR`. */
  readonly type: string
  readonly isNumeric: boolean
}

export interface QueryResult {
  readonly columns: readonly QueryColumn[]
  readonly rows: readonly (readonly Json[])[]
  /** More rows existed than the row limit; `rows` holds the first `rowLimit`. */
  readonly truncated: boolean
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

/**
 * DuckDB's JSON conversion writes 64-bit integers and decimals as strings (to keep precision);
 * charts and sums want numbers, so numeric columns become numbers where a double holds them.
 */
export function readResult(reader: DuckDBResultReader, rowLimit: number, durationMs: number): QueryResult {
  const types = reader.columnTypes()
  const columns = reader.columnNames().map((name, index) => {
    const type = types[index]
    return { name, type: type?.toString() ?? 'UNKNOWN', isNumeric: type ? NUMERIC.has(type.typeId) : false }
  })
  const all = reader.getRowsJson() as Json[][]
  const truncated = all.length > rowLimit
  const rows = truncated ? all.slice(0, rowLimit) : all
  const numeric = columns.flatMap((column, index) => (column.isNumeric ? [index] : []))
  if (numeric.length > 0) {
    for (const row of rows) {
      for (const index of numeric) {
        const value = row[index]
        if (typeof value === 'string') row[index] = Number(value)
      }
    }
  }
  return { columns, rows, truncated, durationMs }
}

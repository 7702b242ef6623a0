import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
  INTEGER,
  TIMESTAMP,
  VARCHAR,
} from '@duckdb/node-api'
import type { StoredEvent } from '../events.ts'

export type ColumnKind = 'BIGINT' | 'INTEGER' | 'DOUBLE' | 'VARCHAR' | 'TIMESTAMP' | 'BOOLEAN'
/** A cell as a table's `toRow` gives it; TIMESTAMP cells are ISO strings or epoch milliseconds. */
export type Cell = string | number | boolean | null

/** A table written row by row from JavaScript (`events`, command samples). */
export interface AppendedTable {
  readonly name: string
  readonly columns: Readonly<Record<string, ColumnKind>>
}

/**
 * A typed analytical table derived from `events` inside DuckDB, e.g. a todo lifecycle: each
 * column is a SQL expression over the `events` row (`payload` is JSON). Slices declare these by
 * event type names only (slices talk through events). Deriving in SQL keeps per-event work
 * out of JavaScript: DuckDB fills the table from each ingested batch in the same transaction.
 */
export interface DerivedTable {
  readonly name: string
  readonly columns: Readonly<Record<string, { readonly type: ColumnKind; readonly sql: string }>>
  readonly eventTypes: readonly string[]
}

const DUCK_TYPES: Record<ColumnKind, DuckDBType> = { BIGINT, INTEGER, DOUBLE, VARCHAR, TIMESTAMP, BOOLEAN }
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/

/** The generic table: every event, payload as JSON, command id lifted out of the metadata. */
export const EVENTS_TABLE: AppendedTable = {
  name: 'events',
  columns: {
    stream_type: 'VARCHAR',
    stream_id: 'VARCHAR',
    version: 'INTEGER',
    type: 'VARCHAR',
    created_at: 'TIMESTAMP',
    payload: 'VARCHAR',
    command_id: 'VARCHAR',
  },
}

export function eventRow(event: StoredEvent): readonly Cell[] {
  return [
    event.stream.type,
    event.stream.id,
    event.version,
    event.type,
    event.createdAt,
    JSON.stringify(event.data),
    typeof event.metadata?.commandId === 'string' ? event.metadata.commandId : null,
  ]
}

export const CHECKPOINT_DDL = `CREATE TABLE IF NOT EXISTS ingest_checkpoint (
  name VARCHAR PRIMARY KEY, position BIGINT NOT NULL)`

function columnKinds(table: AppendedTable | DerivedTable): [string, ColumnKind][] {
  return Object.entries(table.columns).map(([name, column]) => [
    name,
    typeof column === 'string' ? column : column.type,
  ])
}

export function tableDdl(table: AppendedTable | DerivedTable): string {
  if (!IDENTIFIER.test(table.name)) throw new RangeError(`Cannot create table "${table.name}": use snake_case`)
  const columns = columnKinds(table).map(([name, kind]) => {
    if (!IDENTIFIER.test(name))
      throw new RangeError(`Cannot create column "${name}" of "${table.name}": use snake_case`)
    // The generic payload column reads as JSON in queries (payload->>'title').
    return `"${name}" ${table === EVENTS_TABLE && name === 'payload' ? 'JSON' : kind}`
  })
  return `CREATE TABLE IF NOT EXISTS ${table.name} (position BIGINT NOT NULL, ${columns.join(', ')})`
}

/** Fills a derived table from the events after `$1` (the previous checkpoint). */
export function deriveSql(table: DerivedTable): string {
  const names = Object.keys(table.columns).map((name) => `"${name}"`)
  const expressions = Object.values(table.columns).map((column) => column.sql)
  const types = table.eventTypes.map((type) => `'${type.replaceAll("'", "''")}'`).join(', ')
  return `INSERT INTO ${table.name} (position, ${names.join(', ')})
    SELECT position, ${expressions.join(', ')} FROM events WHERE position > $1 AND type IN (${types})`
}

export async function createTables(
  connection: DuckDBConnection,
  tables: readonly (AppendedTable | DerivedTable)[],
): Promise<void> {
  await connection.run(CHECKPOINT_DDL)
  for (const table of tables) await connection.run(tableDdl(table))
}

function toMicros(cell: Cell): { micros: bigint } | null {
  if (cell === null) return null
  const ms = typeof cell === 'number' ? cell : Date.parse(String(cell))
  return Number.isFinite(ms) ? { micros: BigInt(Math.round(ms * 1000)) } : null
}

function convert(kind: ColumnKind, cell: Cell): DuckDBValue {
  if (cell === null) return null
  switch (kind) {
    case 'BIGINT':
      return BigInt(Math.trunc(Number(cell)))
    case 'INTEGER':
    case 'DOUBLE':
      return Number(cell)
    case 'BOOLEAN':
      return Boolean(cell)
    case 'TIMESTAMP':
      return toMicros(cell) as DuckDBValue // a { micros } record is what DuckDB's timestamp vector reads
    case 'VARCHAR':
      return String(cell)
    default: {
      const unknown: never = kind
      return unknown
    }
  }
}

/** Most rows one DuckDB data chunk holds (DuckDB's standard vector size). */
const CHUNK_ROWS = 2048

/**
 * Appends rows column by column through data chunks: numbers land in typed arrays in one copy,
 * which is several times faster than the appender's one-call-per-value API.
 */
export function appendRows(
  appender: DuckDBAppender,
  table: AppendedTable,
  rows: readonly (readonly [number, readonly Cell[]])[],
): void {
  const kinds = columnKinds(table).map(([, kind]) => kind)
  const types = [BIGINT, ...kinds.map((kind) => DUCK_TYPES[kind])]
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, rows.length - start)
    const columns: DuckDBValue[][] = types.map(() => new Array(count))
    for (let i = 0; i < count; i++) {
      const [position, cells] = rows[start + i] as [number, readonly Cell[]]
      ;(columns[0] as DuckDBValue[])[i] = BigInt(position)
      for (let c = 0; c < kinds.length; c++) {
        ;(columns[c + 1] as DuckDBValue[])[i] = convert(kinds[c] as ColumnKind, cells[c] ?? null)
      }
    }
    const chunk = DuckDBDataChunk.create(types, count)
    chunk.setColumns(columns)
    appender.appendDataChunk(chunk)
  }
}

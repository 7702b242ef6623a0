import { type DuckDBAppender, type DuckDBConnection, DuckDBTimestampValue } from '@duckdb/node-api'
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

// Packed batches: one string per batch, records split by U+001E, fields by U+001F. JSON.stringify
// escapes both in payloads, and the ISO timestamps and numbers cannot contain them.
const RECORD = '\x1e'
const UNIT = '\x1f'
const hasSeparator = (text: string): boolean => text.includes(RECORD) || text.includes(UNIT)

/** Characters in one packed string at most; a batch of large payloads is sent in several. */
export const MAX_PACKED_CHARS = 16 * 1024 * 1024

/**
 * The batch as packed strings (one, unless payloads are large), for one native call instead of
 * nine per event; DuckDB splits and casts them in C++ (INSERT_PACKED_EVENTS). Null when an id or
 * type holds a separator character, so the caller appends that batch row by row instead: never
 * rewrite data to fit.
 */
export function packEvents(events: readonly StoredEvent[], maxChars = MAX_PACKED_CHARS): string[] | null {
  const parts: string[] = []
  let records: string[] = []
  let chars = 0
  for (const event of events) {
    const commandId = typeof event.metadata?.commandId === 'string' ? event.metadata.commandId : ''
    const { type, id } = event.stream
    if (hasSeparator(type) || hasSeparator(id) || hasSeparator(event.type) || hasSeparator(commandId)) {
      return null
    }
    const record =
      `${event.position}${UNIT}${type}${UNIT}${id}${UNIT}${event.version}${UNIT}${event.type}${UNIT}` +
      `${event.createdAt}${UNIT}${commandId}${UNIT}${JSON.stringify(event.data)}`
    if (records.length > 0 && chars + record.length > maxChars) {
      parts.push(records.join(RECORD))
      records = []
      chars = 0
    }
    records.push(record)
    chars += record.length + 1
  }
  if (records.length > 0) parts.push(records.join(RECORD))
  return parts
}

export const INSERT_PACKED_EVENTS = `INSERT INTO events
  (position, stream_type, stream_id, version, type, created_at, command_id, payload)
  SELECT CAST(f[1] AS BIGINT), f[2], f[3], CAST(f[4] AS INTEGER), f[5], CAST(f[6] AS TIMESTAMP), nullif(f[7], ''), f[8]
  FROM (SELECT string_split(record, chr(31)) AS f FROM (SELECT unnest(string_split($1, chr(30))) AS record))`

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

function toMs(cell: string | number | boolean): number {
  const ms = typeof cell === 'number' ? cell : Date.parse(String(cell))
  if (!Number.isFinite(ms)) throw new RangeError(`Cannot append timestamp ${JSON.stringify(cell)}: not a date`)
  return ms
}

function appendCell(appender: DuckDBAppender, kind: ColumnKind, cell: Cell): void {
  if (cell === null) {
    appender.appendNull()
    return
  }
  switch (kind) {
    case 'BIGINT':
      appender.appendBigInt(BigInt(Math.trunc(Number(cell))))
      break
    case 'INTEGER':
      appender.appendInteger(Number(cell))
      break
    case 'DOUBLE':
      appender.appendDouble(Number(cell))
      break
    case 'BOOLEAN':
      appender.appendBoolean(Boolean(cell))
      break
    case 'TIMESTAMP':
      appender.appendTimestamp(new DuckDBTimestampValue(BigInt(Math.round(toMs(cell) * 1000))))
      break
    case 'VARCHAR':
      appender.appendVarchar(String(cell))
      break
    default: {
      const unknown: never = kind
      throw new TypeError(`Cannot append a cell of kind ${String(unknown)}`)
    }
  }
}

/**
 * Appends rows value by value. Measured against building DuckDB data chunks column by column
 * (bench/analytics.bench.ts history): the appender's direct calls were faster in Bun, because
 * a chunk still sets every string through one native call and adds its own JS bookkeeping.
 */
export function appendRows(
  appender: DuckDBAppender,
  table: AppendedTable,
  rows: readonly (readonly [number, readonly Cell[]])[],
): void {
  const kinds = columnKinds(table).map(([, kind]) => kind)
  for (const [position, cells] of rows) {
    appender.appendBigInt(BigInt(position))
    for (let c = 0; c < kinds.length; c++) appendCell(appender, kinds[c] as ColumnKind, cells[c] ?? null)
    appender.endRow()
  }
}

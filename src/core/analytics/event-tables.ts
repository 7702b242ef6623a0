import { type DuckDBAppender, type DuckDBConnection, DuckDBTimestampValue } from '@duckdb/node-api'
import type { StoredEvent } from '../eventsourcing/events.ts'

export type ColumnKind = 'BIGINT' | 'INTEGER' | 'DOUBLE' | 'VARCHAR' | 'TIMESTAMP' | 'BOOLEAN'
/** A cell as a table's `toRow` gives it; TIMESTAMP cells are ISO strings or epoch milliseconds. */
export type Cell = string | number | boolean | null

/** A table written row by row from JavaScript (`events`, command samples). */
export interface AppendedTable {
  readonly name: string
  readonly columns: Readonly<Record<string, ColumnKind>>
  /** Columns visitors' Explore queries never see: content and owner keys of other sessions. */
  readonly privateColumns?: readonly string[]
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
  /** Columns visitors' Explore queries never see: content and owner keys of other sessions. */
  readonly privateColumns?: readonly string[]
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/

/**
 * The generic table: every event, payload as JSON text, command id lifted out of the metadata.
 * `payload` is VARCHAR, not DuckDB's JSON type: JSON.stringify always writes valid JSON, and
 * DuckDB's JSON functions read VARCHAR the same way (payload->>'title'), while a JSON column
 * parses every payload again to validate it, about a tenth of ingestion time (bench). Files
 * created with a JSON column keep it; ingestion writes to either.
 */
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
  // Payloads hold what visitors typed (todo texts, their SQL); stream ids are session owner keys.
  privateColumns: ['stream_id', 'payload', 'command_id'],
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

// Packed chunks: one string per column, values split by U+001E. JSON.stringify escapes it in
// payloads, and the ISO timestamps and numbers cannot contain it.
const SEPARATOR = '\x1e'

/** Characters in one packed chunk at most; a chunk of large payloads is cut short. */
export const MAX_PACKED_CHARS = 16 * 1024 * 1024
/** Events in one packed chunk at most: small enough that JS packs the next chunk while DuckDB inserts this one. */
export const PACKED_CHUNK_EVENTS = 4096

/** The eight column strings of one chunk, in INSERT_PACKED_EVENTS parameter order. */
export type PackedChunk = readonly string[]

/**
 * Packs events from `start` as one chunk (one string per column, for one native call instead
 * of nine per event); DuckDB splits the columns in C++ and zips them (INSERT_PACKED_EVENTS).
 * Column strings beat one string per event: DuckDB no longer builds a list per row to take it
 * apart. Returns the chunk and where the next one starts; `chunk` is null when an id or type at
 * `start` holds the separator, so the caller appends that one event value by value: never
 * rewrite data to fit.
 */
export function packChunk(
  events: readonly StoredEvent[],
  start: number,
  maxEvents = PACKED_CHUNK_EVENTS,
  maxChars = MAX_PACKED_CHARS,
): { chunk: PackedChunk | null; next: number } {
  const columns: string[][] = [[], [], [], [], [], [], [], []]
  const [positions, streamTypes, streamIds, versions, types, times, commandIds, payloads] = columns as [
    string[],
    string[],
    string[],
    string[],
    string[],
    string[],
    string[],
    string[],
  ]
  let chars = 0
  let i = start
  for (; i < events.length && i - start < maxEvents; i++) {
    const event = events[i] as StoredEvent
    const commandId = typeof event.metadata?.commandId === 'string' ? event.metadata.commandId : ''
    const { type, id } = event.stream
    const payload = JSON.stringify(event.data)
    if (`${type}${id}${event.type}${commandId}`.includes(SEPARATOR)) break
    const size = type.length + id.length + event.type.length + commandId.length + payload.length + 64
    if (i > start && chars + size > maxChars) break
    chars += size
    positions.push(String(event.position))
    streamTypes.push(type)
    streamIds.push(id)
    versions.push(String(event.version))
    types.push(event.type)
    times.push(event.createdAt)
    commandIds.push(commandId)
    payloads.push(payload)
  }
  if (i === start) return { chunk: null, next: start + 1 }
  return { chunk: columns.map((column) => column.join(SEPARATOR)), next: i }
}

const column = (n: number) => `unnest(string_split($${n}, chr(30)))`
export const INSERT_PACKED_EVENTS = `INSERT INTO events
  (position, stream_type, stream_id, version, type, created_at, command_id, payload)
  SELECT CAST(p AS BIGINT), st, si, CAST(v AS INTEGER), t, CAST(c AS TIMESTAMP), nullif(ci, ''), pl
  FROM (SELECT ${column(1)} AS p, ${column(2)} AS st, ${column(3)} AS si, ${column(4)} AS v,
    ${column(5)} AS t, ${column(6)} AS c, ${column(7)} AS ci, ${column(8)} AS pl)`

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
    return `"${name}" ${kind}`
  })
  return `CREATE TABLE IF NOT EXISTS ${table.name} (position BIGINT NOT NULL, ${columns.join(', ')})`
}

/**
 * Fills a derived table from the events after `$1` (the previous checkpoint). The types are a
 * list_contains, not `type IN (...)`: DuckDB 1.5 rewrites an IN list of six or more constants into
 * a join and keeps about 1.6 KB of native memory for every run of it, one per ingested batch.
 */
export function deriveSql(table: DerivedTable): string {
  const names = Object.keys(table.columns).map((name) => `"${name}"`)
  const expressions = Object.values(table.columns).map((column) => column.sql)
  const types = table.eventTypes.map((type) => `'${type.replaceAll("'", "''")}'`).join(', ')
  return `INSERT INTO ${table.name} (position, ${names.join(', ')})
    SELECT position, ${expressions.join(', ')} FROM events WHERE position > $1 AND list_contains([${types}], type)`
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

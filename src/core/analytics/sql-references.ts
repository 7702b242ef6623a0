import { ValidationError } from '../errors.ts'
import { EXPLORE_DATABASE, type ExploreCatalog } from './explore-catalog.ts'

/** Table functions a visitor query may call: readers (the sandbox limits which files) and generators. */
const TABLE_FUNCTIONS = new Set([
  'read_parquet',
  'parquet_scan',
  'parquet_schema',
  'parquet_metadata',
  'read_csv',
  'read_csv_auto',
  'sniff_csv',
  'read_json',
  'read_json_auto',
  'read_ndjson',
  'read_ndjson_auto',
  'read_json_objects',
  'read_text',
  'read_blob',
  'json_each',
  'json_tree',
  'range',
  'generate_series',
  'unnest',
])

/** DESCRIBE/SUMMARIZE of a query (''), and SHOW TABLES; `SHOW ALL TABLES` lists every database's tables. */
const SHOW_NAMES = new Set(['', '"tables"'])

type Node = Record<string, unknown>

function visit(value: unknown, onNode: (node: Node) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) visit(item, onNode)
  } else if (value !== null && typeof value === 'object') {
    onNode(value as Node)
    for (const child of Object.values(value)) visit(child, onNode)
  }
}

const text = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : '')

function refuse(message: string): never {
  throw new ValidationError(`Cannot run query: ${message}`, { sql: 'Query the tables Explore shows' })
}

/** Every CTE name defined anywhere in the statement: a reference to one reads the CTE. */
function cteNames(statement: unknown): Set<string> {
  const names = new Set<string>()
  visit(statement, (node) => {
    const map = (node.cte_map as { map?: { key?: unknown }[] } | undefined)?.map
    for (const entry of map ?? []) names.add(text(entry.key))
  })
  return names
}

/**
 * Whether a table reference reads only the `explore` database (visitors' queries run with it as
 * the default, so unqualified and `main.`/`samples.` names resolve there), a CTE, or a file path
 * (a replacement scan, which the sandbox limits to the sample files and remote prefixes).
 * A CTE name that is not in scope where it is used resolves to `explore` or DuckDB's own
 * catalog views, never to the analytics tables, which are not on a visitor's search path.
 */
function isVisible(catalog: ExploreCatalog, ctes: ReadonlySet<string>, names: [string, string, string]): boolean {
  const [database, schema, name] = names
  const relations = catalog.relations
  if (database === '' && schema === '') {
    return ctes.has(name) || relations.get('main')?.has(name) === true || /[./:]/.test(name)
  }
  if (database === '' && schema === EXPLORE_DATABASE) return relations.get('main')?.has(name) === true
  if (database !== '' && database !== EXPLORE_DATABASE) return false
  return relations.get(schema)?.has(name) === true
}

/** A SHOW … FROM names a schema: only Explore's own. */
function isVisibleSchema(catalog: ExploreCatalog, database: string, schema: string): boolean {
  if (database === '' && (schema === '' || schema === EXPLORE_DATABASE)) return true
  return (database === '' || database === EXPLORE_DATABASE) && catalog.relations.has(schema)
}

function listOf(catalog: ExploreCatalog): string {
  return [...(catalog.relations.get('main') ?? [])].concat(catalog.sampleViews).join(', ')
}

/**
 * Refuses a parsed query (DuckDB's `json_serialize_sql` tree) that names a relation other than
 * Explore's views, calls a table function outside the list, or lists every database's tables.
 * The tree is walked whole, so references inside subqueries, CTEs, joins, set operations,
 * PIVOTs, DESCRIBE and SUMMARIZE are all checked. An unknown node that names a table is refused.
 */
export function assertVisibleReferences(statement: unknown, catalog: ExploreCatalog): void {
  const ctes = cteNames(statement)
  visit(statement, (node) => {
    if (node.type === 'BASE_TABLE') {
      const names: [string, string, string] = [text(node.catalog_name), text(node.schema_name), text(node.table_name)]
      if (!isVisible(catalog, ctes, names)) {
        refuse(`${names.filter(Boolean).join('.')} is not a table Explore shows; query ${listOf(catalog)}`)
      }
    } else if (node.type === 'TABLE_FUNCTION') {
      const call = node.function as Node | undefined
      const name = text(call?.function_name)
      if (text(call?.catalog) !== '' || text(call?.schema) !== '' || !TABLE_FUNCTIONS.has(name)) {
        refuse(`the table function ${name || 'called here'}() is not available in Explore`)
      }
    } else if (node.type === 'SHOW_REF') {
      const shown = SHOW_NAMES.has(text(node.table_name))
      if (!shown || !isVisibleSchema(catalog, text(node.catalog_name), text(node.schema_name))) {
        refuse('it lists tables outside Explore; SHOW TABLES lists what you can query')
      }
    } else if ('table_name' in node) {
      refuse('it names a table in a way Explore does not know')
    }
  })
}

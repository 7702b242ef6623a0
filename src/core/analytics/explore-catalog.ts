import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import type { AppendedTable, DerivedTable } from './event-tables.ts'

/** The in-memory database visitor queries run in: views only, nothing persisted, nothing private. */
export const EXPLORE_DATABASE = 'explore'
/** Its schema of views over the bundled sample files (`samples.trips`). */
export const SAMPLES_SCHEMA = 'samples'

export type ExploreTable = AppendedTable | DerivedTable

/**
 * What a visitor query may name. Every relation lives in the `explore` database; the analytics
 * tables themselves (with payloads and owner keys) are never named by a visitor query, which
 * `visitor-sql.ts` checks on DuckDB's own parse.
 */
export interface ExploreCatalog {
  /** Relation names by schema (`main`, `samples`), lower case, as DuckDB compares them. */
  readonly relations: ReadonlyMap<string, ReadonlySet<string>>
  /** `samples.<name>` for the explore page. */
  readonly sampleViews: readonly string[]
  /** The sample files themselves: the only local files a query may open (read). */
  readonly sampleFiles: readonly string[]
}

const SAMPLE_FILE = /^([a-z][a-z0-9_]*)\.(parquet|csv|json)$/
const READERS = { parquet: 'read_parquet', csv: 'read_csv', json: 'read_json' } as const

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`
const quoteString = (value: string) => `'${value.replaceAll("'", "''")}'`

/** `position` and every declared column that is not private, in declaration order. */
export function visibleColumns(table: ExploreTable): string[] {
  const hidden = new Set(table.privateColumns ?? [])
  return ['position', ...Object.keys(table.columns).filter((name) => !hidden.has(name))]
}

function sampleFiles(samplesDir: string | undefined): { view: string; path: string; reader: string }[] {
  if (!samplesDir) return []
  let files: string[]
  try {
    files = readdirSync(samplesDir)
  } catch {
    return []
  }
  return files.sort().flatMap((file) => {
    const match = SAMPLE_FILE.exec(file)
    if (!match) return []
    const [, view, kind] = match as unknown as [string, string, keyof typeof READERS]
    return [{ view, path: resolve(join(samplesDir, file)), reader: READERS[kind] }]
  })
}

/**
 * Attaches the `explore` database (in memory) and fills it with views: one per analytics table,
 * without its private columns, and one per sample file. Runs with full rights before the sandbox
 * locks. Views over the sample files used to live in the analytics file itself, where a visitor
 * could replace them for everyone; the old schema is dropped.
 */
export async function createExploreCatalog(
  writer: DuckDBConnection,
  tables: readonly ExploreTable[],
  samplesDir: string | undefined,
): Promise<ExploreCatalog> {
  const source = quoteIdentifier(String((await writer.runAndReadAll('SELECT current_database()')).getRows()[0]?.[0]))
  await writer.run(`DROP SCHEMA IF EXISTS ${source}.${SAMPLES_SCHEMA} CASCADE`)
  await writer.run(`ATTACH ':memory:' AS ${EXPLORE_DATABASE}`)
  await writer.run(`CREATE SCHEMA ${EXPLORE_DATABASE}.${SAMPLES_SCHEMA}`)
  for (const table of tables) {
    const name = quoteIdentifier(table.name)
    const columns = visibleColumns(table).map(quoteIdentifier).join(', ')
    await writer.run(`CREATE VIEW ${EXPLORE_DATABASE}.main.${name} AS SELECT ${columns} FROM ${source}.main.${name}`)
  }
  const samples = sampleFiles(samplesDir)
  for (const { view, path, reader } of samples) {
    await writer.run(
      `CREATE VIEW ${EXPLORE_DATABASE}.${SAMPLES_SCHEMA}.${view} AS SELECT * FROM ${reader}(${quoteString(path)})`,
    )
  }
  return {
    relations: new Map([
      ['main', new Set(tables.map((table) => table.name))],
      [SAMPLES_SCHEMA, new Set(samples.map((sample) => sample.view))],
    ]),
    sampleViews: samples.map((sample) => `${SAMPLES_SCHEMA}.${sample.view}`),
    sampleFiles: samples.map((sample) => sample.path),
  }
}

import type { Config } from '../config.ts'
import { openDatabase } from '../core/eventsourcing/database.ts'
import { hasAsset, isBuiltMode } from '../core/web/assets.ts'
import { datastarSource, describeDatastar } from '../core/web/datastar-pin.ts'
import { databasePath, ensureWritableDataDir } from './data-dir.ts'

export interface Check {
  readonly name: string
  readonly isOk: boolean
  readonly detail: string
}

async function check(name: string, run: () => Promise<string> | string): Promise<Check> {
  try {
    return { name, isOk: true, detail: await run() }
  } catch (error) {
    return { name, isOk: false, detail: error instanceof Error ? error.message : String(error) }
  }
}

/** Runs the same DuckDB the analytics slice uses; in a compiled binary this extracts and loads the embedded library. */
export async function duckdbSelfCheck(): Promise<string> {
  const started = performance.now()
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    const reader = await connection.runAndReadAll('SELECT 40 + 2 AS answer, version() AS version')
    const [answer, version] = reader.getRows()[0] ?? []
    if (Number(answer) !== 42) throw new Error(`DuckDB answered ${String(answer)} to 40 + 2`)
    return `DuckDB ${String(version)} answered 42 in ${(performance.now() - started).toFixed(0)} ms`
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

async function checkPostgres(url: string): Promise<string> {
  const { checkSharedDatabase } = await import('./postgres.ts')
  return checkSharedDatabase(url)
}

/** `ironstar doctor`: what an operator checks first on a new machine. Never writes events. */
export async function runDoctor(config: Config): Promise<readonly Check[]> {
  return [
    await check('data-dir', () => `${ensureWritableDataDir(config.dataDir)} is writable`),
    await check('sqlite', () => {
      const db = openDatabase(databasePath(config.dataDir))
      try {
        const row = db.query('SELECT sqlite_version() AS v').get() as { v: string }
        return `SQLite ${row.v} opens ${databasePath(config.dataDir)}`
      } finally {
        db.close()
      }
    }),
    ...(config.databaseUrl ? [await check('postgres', () => checkPostgres(config.databaseUrl as string))] : []),
    await check('duckdb', duckdbSelfCheck),
    await check('assets', () => {
      const missing = ['app.js', 'app.css'].filter((name) => !hasAsset(name))
      if (missing.length > 0) throw new Error(`Missing ${missing.join(', ')}`)
      return isBuiltMode() ? 'embedded, hashed' : 'from source'
    }),
    // A vendored client must be the pinned release or one vendored on purpose (--unpinned), never a stray copy.
    await check('datastar', () => {
      const source = datastarSource()
      const text = `Datastar: ${describeDatastar(source)}`
      if (source.kind === 'unchecked') throw new Error(text)
      return text
    }),
  ]
}

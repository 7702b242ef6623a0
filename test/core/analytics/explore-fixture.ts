import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { Analytics } from '../../../src/core/analytics/analytics.ts'
import type { DerivedTable } from '../../../src/core/analytics/event-tables.ts'
import { BroadcastRing } from '../../../src/core/eventsourcing/bus.ts'
import { openTestStore, type TestStore } from '../../fixtures/store.ts'

/** What one session typed: must never reach another visitor through Explore. */
export const SECRET = 'the-owner-typed-this-4f3a'

/** A slice's typed table whose owner columns are private, as a todo list's id is. */
const ACCOUNTS: DerivedTable = {
  name: 'accounts',
  eventTypes: ['AccountOpened'],
  columns: {
    account: { type: 'VARCHAR', sql: 'stream_id' },
    owner: { type: 'VARCHAR', sql: "payload->>'owner'" },
    opened_at: { type: 'TIMESTAMP', sql: 'created_at' },
  },
  privateColumns: ['account', 'owner'],
}

export interface ExploreFixture {
  readonly test: TestStore
  readonly analytics: Analytics
  readonly samplesDir: string
  /** Every file under the data directory with its size and hash, and DuckDB's catalog and data. */
  snapshot(): Promise<string>
  close(): Promise<void>
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((name) => {
      const path = join(dir, name)
      const stat = statSync(path)
      if (!stat.isFile()) return `${relative(dir, path)}/`
      return `${relative(dir, path)} ${stat.size} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`
    })
}

/** A sample directory of its own (never the repository's) with one file of each kind. */
async function writeSamples(dir: string): Promise<void> {
  mkdirSync(dir)
  writeFileSync(join(dir, 'cities.csv'), 'name,people\nOslo,700000\nBergen,290000\n')
  writeFileSync(join(dir, 'rivers.json'), '[{"name":"Glomma","km":621}]')
  const maker = await DuckDBInstance.create(':memory:')
  const connection = await maker.connect()
  await connection.run(`COPY (SELECT range AS n FROM range(5)) TO '${join(dir, 'numbers.parquet')}'`)
  connection.closeSync()
  maker.closeSync()
}

/**
 * The real analytics service over a file database, fed from a real store with an event whose
 * payload holds SECRET, and a sample directory with CSV, JSON and Parquet files.
 */
export async function openExploreFixture(): Promise<ExploreFixture> {
  const test = openTestStore()
  const samplesDir = join(test.dir, 'samples')
  await writeSamples(samplesDir)
  const { position } = await test.store.append({ type: 'account', id: 'owner-key-9c1d' }, 0, [
    { type: 'AccountOpened', data: { owner: SECRET } },
  ])
  const analytics = await Analytics.start(test.store, new BroadcastRing(), {
    path: join(test.dir, 'analytics.duckdb'),
    samplesDir,
    tables: [ACCOUNTS],
  })
  for (let i = 0; analytics.ingestion.position < position && i < 200; i++) await Bun.sleep(10)
  await analytics.commandSamples.flush()
  // Written once, so later snapshots compare a settled file rather than a pending checkpoint.
  await analytics.db.writer.run('CHECKPOINT')

  async function catalog(): Promise<string> {
    const queries = [
      'SELECT database_name, path, readonly FROM duckdb_databases() ORDER BY ALL',
      'SELECT database_name, schema_name, table_name FROM duckdb_tables() ORDER BY ALL',
      'SELECT database_name, schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY ALL',
      'SELECT DISTINCT database_name, schema_name, function_name FROM duckdb_functions() WHERE NOT internal ORDER BY ALL',
      'SELECT database_name, sequence_name FROM duckdb_sequences() ORDER BY ALL',
      'SELECT name, value FROM duckdb_settings() ORDER BY name',
      'SELECT * FROM events ORDER BY position',
      'SELECT count(*) FROM commands',
    ]
    const results = await Promise.all(queries.map((sql) => analytics.db.query(sql)))
    return JSON.stringify(results.map((result) => result.rows))
  }

  return {
    test,
    analytics,
    samplesDir,
    async snapshot() {
      return `${files(test.dir).join('\n')}\n${await catalog()}`
    },
    async close() {
      await analytics.close()
      await test.close()
    },
  }
}

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { AnalyticsQueryError } from '../../../src/core/analytics/query-errors.ts'
import { ValidationError } from '../../../src/core/errors.ts'
import { type ExploreFixture, openExploreFixture } from './explore-fixture.ts'

let fixture: ExploreFixture
let before: string

beforeAll(async () => {
  fixture = await openExploreFixture()
  before = await fixture.snapshot()
})

afterAll(() => fixture.close())

/** Statements that write something: a file, a table, a view, the catalog, a setting, an extension. */
function writes(samples: string, dir: string): string[] {
  return [
    `COPY (SELECT '<script>alert(document.cookie)</script>' AS x) TO '${samples}/planted.html' (FORMAT csv, HEADER false)`,
    `COPY events TO '${samples}/events.csv'`,
    `COPY (SELECT 1 AS n) TO '${samples}/numbers.parquet' (USE_TMP_FILE false)`,
    `COPY (SELECT * FROM range(10)) TO '${dir}/fill.parquet'`,
    `EXPORT DATABASE '${samples}/export'`,
    'CREATE TABLE planted AS SELECT 1 AS x',
    'CREATE OR REPLACE VIEW samples.numbers AS SELECT 42 AS n',
    'CREATE OR REPLACE VIEW memory.main.events AS SELECT 1 AS x',
    'CREATE MACRO planted() AS 1',
    'CREATE TEMP TABLE planted AS SELECT 1 AS x',
    'CREATE SCHEMA planted',
    'CREATE SEQUENCE planted',
    "CREATE SECRET planted (TYPE s3, KEY_ID 'k', SECRET 's')",
    'INSERT INTO events (position) VALUES (999)',
    "UPDATE events SET type = 'Forged'",
    'DELETE FROM events',
    'TRUNCATE events',
    'DROP TABLE events',
    'DROP VIEW samples.numbers',
    'ALTER TABLE events ADD COLUMN planted INTEGER',
    'CHECKPOINT',
    'FORCE CHECKPOINT',
    'VACUUM',
    'ANALYZE',
    `ATTACH '${dir}/planted.duckdb' AS planted`,
    'DETACH explore',
    'USE memory',
    'SET threads = 1',
    'RESET threads',
    'SET VARIABLE planted = 1',
    'INSTALL httpfs',
    'LOAD httpfs',
    'PRAGMA enable_profiling',
    'PRAGMA threads = 1',
    'CALL checkpoint()',
    'PREPARE planted AS SELECT 1',
    'BEGIN TRANSACTION',
    'SELECT * FROM checkpoint()',
    'SELECT * FROM force_checkpoint()',
    "SELECT * FROM query('SELECT 1')",
    'WITH t AS (SELECT 1) INSERT INTO events (position) SELECT 999',
    'WITH t AS (SELECT 1) DELETE FROM events',
    'SELECT 1; DROP TABLE events',
    `SELECT 1; COPY events TO '${samples}/planted.csv'`,
  ]
}

/** The same statement dressed up: casing, comments, EXPLAIN and EXPLAIN ANALYZE in their spellings. */
function dressed(statement: string): string[] {
  return [
    statement,
    statement.toLowerCase(),
    `/* a comment */ ${statement}`,
    `-- a comment\n${statement}`,
    `EXPLAIN ${statement}`,
    `EXPLAIN ANALYZE ${statement}`,
    `explain analyse ${statement}`,
    `EXPLAIN\nANALYZE\n${statement}`,
    `EXPLAIN /* x */ ANALYZE ${statement}`,
    `/* x */ EXPLAIN ANALYZE ${statement}`,
    `EXPLAIN (ANALYZE) ${statement}`,
    `EXPLAIN (FORMAT json) ${statement}`,
    `EXPLAIN ANALYZE EXPLAIN ANALYZE ${statement}`,
    `(${statement})`,
    `SELECT * FROM (${statement})`,
  ]
}

async function refusal(sql: string): Promise<unknown> {
  try {
    await fixture.analytics.db.queryUntrusted(sql)
  } catch (error) {
    return error
  }
  return undefined
}

describe('Explore is read-only', () => {
  it('refuses every write, however it is dressed, and changes nothing on disk or in DuckDB', async () => {
    const accepted: string[] = []
    for (const statement of writes(fixture.samplesDir, fixture.test.dir)) {
      for (const sql of dressed(statement)) {
        const error = await refusal(sql)
        if (!(error instanceof ValidationError)) accepted.push(`${sql} -> ${String(error)}`)
      }
    }
    expect(accepted).toEqual([])
    expect(existsSync(join(fixture.samplesDir, 'planted.html'))).toBe(false)
    expect(await fixture.snapshot()).toBe(before)
  })

  it('still reads: views, the sample files by name and by path, and plain EXPLAIN', async () => {
    const db = fixture.analytics.db
    expect((await db.queryUntrusted('SELECT count(*) FROM events')).rows).toEqual([[1]])
    expect((await db.queryUntrusted('SELECT sum(people) FROM samples.cities')).rows).toEqual([[990_000]])
    expect((await db.queryUntrusted('SELECT km FROM samples.rivers')).rows).toEqual([[621]])
    const path = join(fixture.samplesDir, 'numbers.parquet')
    expect((await db.queryUntrusted(`SELECT sum(n) FROM read_parquet('${path}')`)).rows).toEqual([[10]])
    expect((await db.queryUntrusted(`FROM '${path}' SELECT max(n)`)).rows).toEqual([[4]])
    const plan = await db.queryUntrusted('EXPLAIN SELECT type, count(*) FROM events GROUP BY type')
    expect(plan.columns.map((column) => column.name)).toEqual(['explain_key', 'explain_value'])
    expect(JSON.stringify(plan.rows)).toContain('HASH_GROUP_BY')
    expect(await refusal('EXPLAIN ANALYZE SELECT 1')).toBeInstanceOf(ValidationError)
    expect(await fixture.snapshot()).toBe(before)
  })

  it('names what it refuses and why', async () => {
    const messages = await Promise.all(
      [`EXPLAIN ANALYZE COPY events TO '${fixture.samplesDir}/x.html'`, 'COPY events TO x', 'SELECT 1; SELECT 2'].map(
        async (sql) => ((await refusal(sql)) as Error).message,
      ),
    )
    expect(messages).toEqual([
      'Cannot run query: EXPLAIN ANALYZE runs the statement; use EXPLAIN alone',
      'Cannot run query: COPY statements are not allowed; only read-only queries (SELECT, WITH, FROM, …) run here',
      'Cannot run query: it holds more than one statement',
    ])
  })

  it('lets no query write a file, even one that skips the statement check', async () => {
    // The server's own queries skip the check: DuckDB itself still opens no path but the samples.
    for (const target of [join(fixture.samplesDir, 'planted.html'), join(fixture.test.dir, 'planted.csv')]) {
      const error = await fixture.analytics.db.query(`COPY (SELECT 1 AS x) TO '${target}'`).catch((e: Error) => e)
      expect(error).toBeInstanceOf(AnalyticsQueryError)
      expect((error as Error).message).toBe(`Cannot open "${target}": queries may only read the sample files`)
    }
    expect(await fixture.snapshot()).toBe(before)
  })
})

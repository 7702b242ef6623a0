import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { AnalyticsQueryError } from '../../../src/core/analytics/query-errors.ts'
import { ValidationError } from '../../../src/core/errors.ts'
import { type ExploreFixture, openExploreFixture, SECRET } from './explore-fixture.ts'

let fixture: ExploreFixture

beforeAll(async () => {
  fixture = await openExploreFixture()
})

afterAll(() => fixture.close())

const OWNER_KEY = 'owner-key-9c1d'

async function outcome(sql: string): Promise<unknown> {
  try {
    return JSON.stringify(await fixture.analytics.db.queryUntrusted(sql))
  } catch (error) {
    return error
  }
}

describe('Explore shows no session’s content', () => {
  it('shows events without payloads, stream ids or command ids', async () => {
    const result = await fixture.analytics.db.queryUntrusted('SELECT * FROM events')
    expect(result.columns.map((column) => column.name)).toEqual([
      'position',
      'stream_type',
      'version',
      'type',
      'created_at',
    ])
    expect(result.rows).toHaveLength(1)
    const error = await outcome('SELECT payload FROM events')
    expect(error).toBeInstanceOf(AnalyticsQueryError)
    expect((error as Error).message).toContain('"payload" not found')
  })

  it('shows a typed table without its private columns', async () => {
    const result = await fixture.analytics.db.queryUntrusted('FROM accounts')
    expect(result.columns.map((column) => column.name)).toEqual(['position', 'opened_at'])
    expect(result.rows).toHaveLength(1)
  })

  it('refuses every other way to the analytics tables', async () => {
    // In tests the analytics file is `analytics.duckdb`, so DuckDB names its database `analytics`.
    const ways = [
      'FROM analytics.events',
      'FROM analytics.main.events',
      'FROM "ANALYTICS"."MAIN"."EVENTS"',
      'SELECT (SELECT payload FROM analytics.events LIMIT 1)',
      'WITH e AS (FROM analytics.main.events) SELECT payload FROM e',
      'FROM samples.cities, analytics.events',
      'SELECT * FROM events UNION ALL BY NAME SELECT * FROM analytics.events',
      "SELECT * FROM range(1) WHERE EXISTS (FROM analytics.events WHERE payload LIKE '%4f3a%')",
      'SUMMARIZE analytics.events',
      'DESCRIBE analytics.main.events',
      'SHOW TABLES FROM analytics.main',
      'SHOW ALL TABLES',
      "FROM query_table('analytics.main.events')",
      "FROM query('SELECT payload FROM analytics.main.events')",
      'FROM duckdb_tables()',
      'FROM duckdb_views',
      "FROM read_duckdb('analytics.duckdb', table_name = 'events')",
      'UNPIVOT analytics.events ON COLUMNS(*) INTO NAME k VALUE v',
      'EXPLAIN SELECT payload FROM analytics.events',
      'FROM analytics.accounts',
      'FROM analytics.commands',
    ]
    const leaked: string[] = []
    for (const sql of ways) {
      const result = await outcome(sql)
      if (!(result instanceof ValidationError)) leaked.push(`${sql} -> ${String(result)}`)
    }
    expect(leaked).toEqual([])
  })

  it('never returns what a session typed, nor its owner key, from any table Explore shows', async () => {
    for (const sql of ['FROM events', 'FROM accounts', 'FROM commands', 'SHOW TABLES', 'DESCRIBE accounts']) {
      const result = await outcome(sql)
      expect(typeof result).toBe('string')
      expect(result as string).not.toContain(SECRET)
      expect(result as string).not.toContain(OWNER_KEY)
    }
  })
})

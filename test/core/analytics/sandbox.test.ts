import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AnalyticsDb } from '../../../src/core/analytics/analytics-db.ts'
import { AnalyticsQueryError } from '../../../src/core/analytics/query-errors.ts'
import { ValidationError } from '../../../src/core/errors.ts'
import { makeTempDir } from '../../fixtures/store.ts'

let dir: string
let samples: string
let db: AnalyticsDb

beforeAll(async () => {
  dir = makeTempDir('ironstar-sandbox-')
  samples = join(dir, 'samples')
  mkdirSync(samples)
  writeFileSync(join(samples, 'ok.csv'), 'x,y\n1,2\n3,4\n')
  writeFileSync(join(dir, 'secret.csv'), 'password\nhunter2\n')
  const exploreTables = [{ name: 'events', columns: { type: 'VARCHAR' } } as const]
  db = await AnalyticsDb.open({ samplesDir: samples, exploreTables }, async (writer) => {
    await writer.run('CREATE TABLE events (position BIGINT, type VARCHAR)')
    await writer.run("INSERT INTO events VALUES (1, 'A'), (2, 'B')")
  })
})

afterAll(async () => {
  await db.close()
  rmSync(dir, { recursive: true, force: true })
})

async function rejection(sql: string): Promise<Error> {
  try {
    await db.queryUntrusted(sql)
  } catch (error) {
    return error as Error
  }
  throw new Error(`Expected "${sql}" to be refused`)
}

describe('AnalyticsDb.queryUntrusted()', () => {
  it('runs SELECT, WITH, FROM and VALUES queries', async () => {
    expect((await db.queryUntrusted('SELECT count(*) AS n FROM events')).rows).toEqual([[2]])
    expect((await db.queryUntrusted('WITH t AS (SELECT 1 AS a) SELECT a FROM t')).rows).toEqual([[1]])
    expect((await db.queryUntrusted('FROM events SELECT type ORDER BY position')).rows).toEqual([['A'], ['B']])
    expect((await db.queryUntrusted('VALUES (7)')).rows).toEqual([[7]])
  })

  it('reads files inside the sample data directory', async () => {
    const result = await db.queryUntrusted(`SELECT sum(x) FROM read_csv('${join(samples, 'ok.csv')}')`)
    expect(result.rows).toEqual([[4]])
  })

  const forbidden: [string, string][] = [
    ['ATTACH', `ATTACH '${'other.duckdb'}' AS other`],
    ['DETACH', 'DETACH other'],
    ['COPY', "COPY events TO 'out.csv'"],
    ['INSTALL', 'INSTALL httpfs'],
    ['LOAD', 'LOAD httpfs'],
    ['PRAGMA', 'PRAGMA database_list'],
    ['SET', "SET memory_limit = '8GB'"],
    ['RESET', 'RESET memory_limit'],
    ['CALL', 'CALL pragma_version()'],
    ['CREATE', 'CREATE TABLE t AS SELECT 1'],
    ['INSERT', "INSERT INTO events VALUES (3, 'C')"],
    ['UPDATE', "UPDATE events SET type = 'Z'"],
    ['DELETE', 'DELETE FROM events'],
    ['DROP', 'DROP TABLE events'],
    ['ALTER', 'ALTER TABLE events ADD COLUMN z INT'],
    ['EXPORT', "EXPORT DATABASE 'out'"],
    ['CHECKPOINT', 'CHECKPOINT'],
    ['USE', 'USE memory'],
    ['PIVOT', 'PIVOT events ON type'],
  ]
  for (const [kind, sql] of forbidden) {
    it(`refuses ${kind} with a message naming it`, async () => {
      const error = await rejection(sql)
      expect(error).toBeInstanceOf(ValidationError)
      expect(error.message).toBe(
        `Cannot run query: ${kind} statements are not allowed; only read-only queries (SELECT, WITH, FROM, …) run here`,
      )
    })
  }

  it('refuses a second statement hidden after the first', async () => {
    const error = await rejection('SELECT 1; DROP TABLE events')
    expect(error.message).toBe('Cannot run query: it holds more than one statement')
    expect((await db.queryUntrusted('SELECT count(*) FROM events')).rows).toEqual([[2]])
  })

  it('refuses a write that starts like a read, by DuckDB parsing it', async () => {
    const error = await rejection("WITH t AS (SELECT 1) INSERT INTO events VALUES (9, 'X')")
    expect(error).toBeInstanceOf(ValidationError)
    expect(error.message).toBe(
      'Cannot run query: it is not a read-only query; only read-only queries (SELECT, WITH, FROM, …) run here',
    )
    expect((await db.queryUntrusted('SELECT count(*) FROM events')).rows).toEqual([[2]])
  })

  for (const reader of ['read_csv', 'read_text', 'read_parquet']) {
    it(`refuses ${reader}() of a file outside the sample data directory`, async () => {
      const path = join(dir, 'secret.csv')
      const error = await rejection(`SELECT * FROM ${reader}('${path}')`)
      expect(error).toBeInstanceOf(AnalyticsQueryError)
      expect(error.message).toBe(`Cannot open "${path}": queries may only read the sample files`)
    })
  }

  it('refuses a path that climbs out of the sample data directory', async () => {
    const error = await rejection(`SELECT * FROM read_csv('${samples}/../secret.csv')`)
    expect(error.message).toStartWith('Cannot open "')
    expect(error.message).toEndWith('queries may only read the sample files')
  })
})

describe('AnalyticsDb sandbox in DuckDB itself', () => {
  it('keeps the configuration locked even for server-written queries', async () => {
    const error = await db.query('SET enable_external_access = true').catch((e: Error) => e)
    expect(error).toBeInstanceOf(AnalyticsQueryError)
    expect((error as Error).message).toBe('Cannot change settings from a query: the configuration is locked')
  })

  it('blocks file reads outside the directory even without the statement check', async () => {
    const error = await db.query("SELECT * FROM read_text('/etc/hostname')").catch((e: Error) => e)
    expect((error as Error).message).toBe('Cannot open "/etc/hostname": queries may only read the sample files')
  })

  it('says plainly why remote datasets are unavailable', () => {
    expect(db.sandbox.httpfs).toBe(false)
    expect(db.sandbox.httpfsProblem).toContain('no remote data prefixes are configured')
  })

  it('opens with remote prefixes configured and says whether httpfs loaded, and if not, why', async () => {
    const remote = await AnalyticsDb.open({ remotePrefixes: ['https://data.example.org/'] })
    try {
      // The server never downloads extensions: httpfs loads only where it is already installed.
      if (remote.sandbox.httpfs) {
        expect(remote.sandbox).toMatchObject({ httpfsProblem: null, remotePrefixes: ['https://data.example.org/'] })
      } else {
        expect(remote.sandbox.httpfsProblem).toStartWith('the httpfs extension could not be loaded')
        expect(remote.sandbox.remotePrefixes).toEqual([])
        const error = await remote
          .queryUntrusted("SELECT * FROM 'https://data.example.org/x.parquet'")
          .catch((e: Error) => e)
        expect(error).toBeInstanceOf(AnalyticsQueryError)
      }
    } finally {
      await remote.close()
    }
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.ts'
import { startServer } from '../../src/server.ts'
import { pgUrl } from '../fixtures/postgres.ts'
import { createPostgresDatabase, type PostgresDatabase } from '../fixtures/postgres-database.ts'
import { freePort, type ProcessResult, runProcess, sqliteEnv } from '../fixtures/process.ts'

const ROOT = join(import.meta.dir, '../..')
const dir = mkdtempSync(join(tmpdir(), 'ironstar-cli-pg-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function cli(args: string[], databaseUrl: string): Promise<ProcessResult> {
  return runProcess(['bun', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { ...sqliteEnv(), IRONSTAR_ENV: 'test', DATA_DIR: join(dir, 'data'), DATABASE_URL: databaseUrl },
  })
}

describe('the CLI with an unreachable DATABASE_URL', () => {
  it('fails doctor on the postgres line with the server named, never the password', async () => {
    const url = `postgres://app:hunter2@127.0.0.1:${freePort()}/ironstar`
    const { code, stdout } = await cli(['doctor'], url)
    expect(code).toBe(1)
    expect(stdout).toMatch(/^FAIL postgres +Cannot connect to PostgreSQL at 127\.0\.0\.1:\d+\/ironstar: /m)
    expect(stdout).not.toContain('hunter2')
  }, 20_000)
})

describe.skipIf(!pgUrl)('the CLI with DATABASE_URL', () => {
  let database: PostgresDatabase
  beforeAll(async () => {
    database = await createPostgresDatabase()
  })
  afterAll(() => database?.close())

  it('doctor asks for migrate on a new database; migrate applies the schema once; doctor then passes', async () => {
    const before = await cli(['doctor'], database.url)
    expect(before.code).toBe(1)
    expect(before.stdout).toMatch(
      /^FAIL postgres +PostgreSQL \d+\.\d+.* schema at version 0, this build needs \d+; run migrate$/m,
    )

    const first = await cli(['migrate'], database.url)
    expect(first.code).toBe(0)
    const report = JSON.parse(first.stdout)
    expect(report.postgres.applied.length).toBeGreaterThan(0)
    expect(report.postgres.current).toBe(report.postgres.applied.at(-1))
    expect(JSON.parse((await cli(['migrate'], database.url)).stdout).postgres.applied).toEqual([])

    const after = await cli(['doctor'], database.url)
    expect(after.stdout).toMatch(/^ok +postgres +PostgreSQL \d+\.\d+.*, schema at version \d+$/m)
    expect(after.code).toBe(0)
  }, 30_000)

  it('rebuilds from the events in PostgreSQL, and sends backup to pg_dump', async () => {
    const server = await startServer(
      loadConfig({ PORT: '0', DATA_DIR: join(dir, 'server'), IRONSTAR_ENV: 'test', DATABASE_URL: database.url }),
    )
    for (let i = 0; i < 3; i++) {
      const response = await fetch(new URL('/counter/global/increment', server.url), {
        method: 'POST',
        headers: { Origin: server.url.origin },
        redirect: 'manual',
      })
      expect(response.status).toBe(303)
    }
    await server.stop()

    const rebuilt = await cli(['rebuild'], database.url)
    expect(rebuilt.stderr).toBe('')
    expect(rebuilt.code).toBe(0)
    expect(rebuilt.stdout).toMatch(/^counter\/counters: position 3 in /m)
    expect(rebuilt.stdout).toMatch(/from 3 events in /)

    const backup = await cli(['backup', join(dir, 'copy.sqlite')], database.url)
    expect(backup.code).toBe(1)
    expect(backup.stderr.trim()).toStartWith('Cannot back up 127.0.0.1:')
    expect(backup.stderr).toContain('use pg_dump')
  }, 30_000)
})

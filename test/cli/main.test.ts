import { Database } from 'bun:sqlite'
import { afterAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.ts'
import { defineSlice } from '../../src/core/slice.ts'
import { counterDecider, globalCounterStream } from '../../src/features/counter/domain.ts'
import { startServer } from '../../src/server.ts'
import { boardProjection, notesDecider } from '../fixtures/notes.ts'
import { type ProcessResult, runProcess, sqliteEnv } from '../fixtures/process.ts'

const ROOT = join(import.meta.dir, '../..')
const dir = mkdtempSync(join(tmpdir(), 'ironstar-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function cli(args: string[], env: Record<string, string> = {}): Promise<ProcessResult> {
  return runProcess(['bun', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { ...sqliteEnv(), IRONSTAR_ENV: 'test', DATA_DIR: join(dir, 'data'), ...env },
  })
}

describe('ironstar CLI', () => {
  it('lists every command and every environment variable with its default in --help', async () => {
    const { code, stdout } = await cli(['--help'])
    expect(code).toBe(0)
    for (const command of ['serve', 'migrate', 'backup <file>', 'rebuild', 'doctor', 'version']) {
      expect(stdout).toContain(`  ${command}`)
    }
    for (const name of Object.keys(CONFIG_VARIABLES)) expect(stdout).toContain(`  ${name} `)
    expect(stdout).toMatch(/PORT +3000 /)
    expect(stdout).toMatch(/DATA_DIR +\.\/data /)
    expect(stdout).toMatch(/IRONSTAR_ENV +development +development \| production \| test; unset: NODE_ENV if/)
  })

  it('rejects an unknown command and a missing argument with exit code 2', async () => {
    const unknown = await cli(['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr.trim()).toBe('Cannot run "frobnicate": it is not a command; see bun main.ts --help')
    const missing = await cli(['backup'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('Cannot run "backup": it takes exactly one file name, got 0')
    const extra = await cli(['migrate', 'now'])
    expect(extra.code).toBe(2)
  })

  it('names the variable of an invalid environment with exit code 2', async () => {
    const { code, stderr } = await cli(['migrate'], { PORT: 'eighty' })
    expect(code).toBe(2)
    expect(stderr).toContain('Invalid environment variable PORT="eighty"')
  })

  it('refuses to serve in production without PUBLIC_ORIGIN, with one sentence and exit code 2', async () => {
    const { code, stderr } = await cli(['serve'], { IRONSTAR_ENV: 'production', PORT: '0', PUBLIC_ORIGIN: '' })
    expect(code).toBe(2)
    expect(stderr.trim()).toBe(
      'Cannot serve in production without PUBLIC_ORIGIN: set it to the address visitors use, e.g. https://app.example.com',
    )
  })

  it('says which DATA_DIR cannot be written, with exit code 1', async () => {
    writeFileSync(join(dir, 'a-file'), '')
    const { code, stderr } = await cli(['serve'], { DATA_DIR: join(dir, 'a-file', 'data'), PORT: '0' })
    expect(code).toBe(1)
    expect(stderr).toContain(`Cannot use DATA_DIR "${join(dir, 'a-file', 'data')}": it is not a writable directory`)
  })

  it('says the port is in use, with exit code 1', async () => {
    const busy = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('busy') })
    try {
      const { code, stderr } = await cli(['serve'], { PORT: String(busy.port) })
      expect(code).toBe(1)
      expect(stderr.trim()).toBe(`Cannot listen on 127.0.0.1:${busy.port}: the port is in use; set PORT to a free one`)
    } finally {
      await busy.stop(true)
    }
  })

  it('refuses a database migrated by a newer build with one sentence and exit code 1', async () => {
    const dataDir = join(dir, 'newer')
    expect((await cli(['migrate'], { DATA_DIR: dataDir })).code).toBe(0)
    const db = new Database(join(dataDir, 'ironstar.sqlite'))
    db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'later')")
    db.close()
    const { code, stderr } = await cli(['serve'], { DATA_DIR: dataDir, PORT: '0' })
    expect(code).toBe(1)
    expect(stderr.trim()).toMatch(
      /^Cannot open database: it is at schema version 999, but this build knows migrations up to \d+\. Run a newer build$/,
    )
  })

  it('prints the version', async () => {
    const { code, stdout } = await cli(['version'])
    expect(code).toBe(0)
    expect(stdout).toMatch(/^ironstar \d+\.\d+\.\d+ \(commit unknown, built from source, bun \d/)
  })

  it('applies migrations and reports them as JSON', async () => {
    const { code, stdout } = await cli(['migrate'], { DATA_DIR: join(dir, 'migrated') })
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.applied.length).toBeGreaterThan(0)
    expect(report.current).toBe(report.applied.at(-1))
  })

  it('passes doctor: writable DATA_DIR, SQLite, DuckDB and the assets', async () => {
    const { code, stdout } = await cli(['doctor'], { DATA_DIR: join(dir, 'doctor') })
    expect(stdout).toMatch(/^ok +duckdb +DuckDB v\d/m)
    expect(code).toBe(0)
  }, 20_000)
})

describe('backup and rebuild next to a running server', () => {
  const board = boardProjection('cli-board')
  const slice = defineSlice({
    name: 'cli-probe',
    events: { NoteAdded: {}, BoardRenamed: {} },
    projections: [board],
    routes: () => ({}),
  })

  it('copies a consistent database while commands are being appended, and the copy holds the events', async () => {
    const dataDir = join(dir, 'live')
    const server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, IRONSTAR_ENV: 'test' }), {
      slices: [slice],
    })
    const stream = { type: 'board', id: 'main' }
    try {
      for (let i = 0; i < 50; i++)
        await server.app.commands.handle(notesDecider, stream, { type: 'AddNote', text: `n${i}` })
      let writing = true
      const writer = (async () => {
        let n = 0
        while (writing) await server.app.commands.handle(notesDecider, stream, { type: 'AddNote', text: `w${n++}` })
      })()
      const target = join(dir, 'backups', 'live.sqlite')
      const run = await cli(['backup', target], { DATA_DIR: dataDir })
      writing = false
      await writer
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(/^Backed up \d+ events \(position \d+\) to /)

      const copy = new Database(target, { readonly: true })
      const { n, max } = copy.query('SELECT count(*) AS n, max(global_position) AS max FROM events').get() as {
        n: number
        max: number
      }
      expect(n).toBeGreaterThanOrEqual(50)
      expect(max).toBe(n) // no holes: a consistent prefix of the log
      expect((copy.query('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check).toBe('ok')
      copy.close()

      const again = await cli(['backup', target], { DATA_DIR: dataDir })
      expect(again.code).toBe(1)
      expect(again.stderr).toContain('the file exists')
    } finally {
      await server.stop()
    }
  }, 20_000)

  it('refuses to back up a DATA_DIR without a database', async () => {
    const { code, stderr } = await cli(['backup', join(dir, 'none.sqlite')], { DATA_DIR: join(dir, 'empty') })
    expect(code).toBe(1)
    expect(stderr).toContain('there is no database yet')
  })

  it('rebuilds every projection of the app from its events and reports counts and time', async () => {
    const dataDir = join(dir, 'app')
    // The real app's slices, so the rebuild reads events every projection knows.
    const server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, IRONSTAR_ENV: 'test' }))
    const at = new Date().toISOString()
    for (let i = 0; i < 3; i++)
      await server.app.commands.handle(counterDecider, globalCounterStream, { type: 'IncrementCounter', at })
    await server.stop()
    const { code, stdout, stderr } = await cli(['rebuild'], { DATA_DIR: dataDir })
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^counter\/\S+: position 3 in [\d.]+ ms$/m)
    expect(stdout).toMatch(/^Rebuilt \d+ projections from 3 events in [\d.]+ ms$/m)
  })

  it('fails the rebuild with one clear line when the log holds events the app does not know', async () => {
    const { code, stderr } = await cli(['rebuild'], { DATA_DIR: join(dir, 'live') })
    expect(code).toBe(1)
    expect(stderr.trim()).toBe(
      'Cannot rebuild projections: Cannot read event of unknown type "NoteAdded": register it with its schema',
    )
  })
})

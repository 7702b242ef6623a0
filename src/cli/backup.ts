import { Database } from 'bun:sqlite'
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { CliError } from './cli-error.ts'
import { databasePath } from './data-dir.ts'

export interface BackupReport {
  readonly file: string
  readonly bytes: number
  readonly events: number
  readonly position: number
  readonly durationMs: number
}

/**
 * Writes a consistent copy of the live database with `VACUUM INTO`: it reads inside one transaction, so a
 * server appending at the same time (WAL mode) neither blocks nor tears the copy. The copy is written beside
 * its final name and checked before it is renamed, so `<file>` is either a good backup or absent.
 */
export function backupDatabase(dataDir: string, target: string): BackupReport {
  const started = performance.now()
  const source = databasePath(dataDir)
  const file = resolve(target)
  if (!existsSync(source)) {
    throw new CliError(`Cannot back up "${source}": there is no database yet (run serve or migrate first)`)
  }
  if (existsSync(file)) throw new CliError(`Cannot back up to "${file}": the file exists; choose a new name`)
  const partial = `${file}.partial-${process.pid}`
  try {
    mkdirSync(dirname(file), { recursive: true })
  } catch (error) {
    throw new CliError(`Cannot back up to "${file}": cannot create its directory`, 1, { cause: error })
  }
  const db = new Database(source, { readonly: true })
  try {
    db.run('PRAGMA busy_timeout = 5000')
    db.run('VACUUM INTO ?', [partial])
  } catch (error) {
    rmSync(partial, { force: true })
    throw new CliError(`Cannot back up to "${file}": ${(error as Error).message}`, 1, { cause: error })
  } finally {
    db.close()
  }
  let counts: { events: number; position: number }
  try {
    counts = verifyBackup(partial)
  } catch (error) {
    rmSync(partial, { force: true })
    throw error
  }
  const { events, position } = counts
  renameSync(partial, file)
  return { file, bytes: statSync(file).size, events, position, durationMs: performance.now() - started }
}

/** Opens a backup, runs SQLite's integrity check and counts its events. */
export function verifyBackup(file: string): { events: number; position: number } {
  const copy = new Database(file, { readonly: true })
  try {
    const check = copy.query('PRAGMA integrity_check').get() as { integrity_check: string }
    if (check.integrity_check !== 'ok') {
      throw new CliError(`Cannot trust the backup "${file}": integrity check says ${check.integrity_check}`)
    }
    const row = copy.query('SELECT count(*) AS events, coalesce(max(global_position), 0) AS position FROM events').get()
    return row as { events: number; position: number }
  } finally {
    copy.close()
  }
}

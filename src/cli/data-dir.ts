import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { CliError } from './cli-error.ts'

/**
 * Creates DATA_DIR and proves it is writable before anything opens a database there, so the operator gets
 * one clear sentence instead of SQLite's "unable to open database file".
 */
export function ensureWritableDataDir(dataDir: string): string {
  const dir = resolve(dataDir)
  try {
    mkdirSync(dir, { recursive: true })
    accessSync(dir, constants.W_OK)
    // access() trusts permission bits; a read-only mount or a full disk only shows on a real write.
    const probe = join(dir, `.write-probe-${process.pid}`)
    writeFileSync(probe, '')
    rmSync(probe)
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new CliError(`Cannot use DATA_DIR "${dir}": it is not a writable directory (${reason})`, 1, { cause: error })
  }
  return dir
}

export function databasePath(dataDir: string): string {
  return join(resolve(dataDir), 'ironstar.sqlite')
}

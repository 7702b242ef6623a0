import { resolve } from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { describeDuckDbError } from './query-errors.ts'

export interface SandboxOptions {
  /** The sample data directory, as the explore page names it; none when unset. */
  samplesDir?: string | undefined
  /** The only local files queries may open: the sample files, not their directory. */
  sampleFiles: readonly string[]
  /** URL prefixes allowed when httpfs loads. */
  remotePrefixes: readonly string[]
}

export interface SandboxStatus {
  readonly samplesDir: string | null
  /** Whether remote datasets can be read; when not, `httpfsProblem` says why in plain words. */
  readonly httpfs: boolean
  readonly httpfsProblem: string | null
  readonly remotePrefixes: readonly string[]
}

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/**
 * Locks the database down in DuckDB itself, for every connection, for good:
 * local file access only to the sample files by exact path, network access only under the URL
 * prefixes, no extension loading, and `lock_configuration` so no query can `SET` its way back out.
 * Exact paths, not the directory: DuckDB's allow-list grants writes as well as reads, and with
 * a directory allowed a `COPY … TO` could create a file in it; with exact paths it cannot create
 * a file anywhere (and only a `COPY`, which never passes the statement check, could write one).
 */
export async function applySandbox(connection: DuckDBConnection, options: SandboxOptions): Promise<SandboxStatus> {
  const samplesDir = options.samplesDir ? `${resolve(options.samplesDir)}/` : null
  let httpfs = false
  let httpfsProblem: string | null = null
  if (options.remotePrefixes.length > 0) {
    try {
      // Only an extension already installed on this machine: the server never downloads one.
      await connection.run('LOAD httpfs')
      httpfs = true
    } catch (error) {
      httpfsProblem = `the httpfs extension could not be loaded (${describeDuckDbError(error)})`
    }
  } else {
    httpfsProblem = 'no remote data prefixes are configured (ANALYTICS_REMOTE_PREFIXES)'
  }
  if (options.sampleFiles.length > 0) {
    await connection.run(`SET allowed_paths = [${options.sampleFiles.map(sqlString).join(', ')}]`)
  }
  if (httpfs) await connection.run(`SET allowed_directories = [${options.remotePrefixes.map(sqlString).join(', ')}]`)
  await connection.run('SET enable_external_access = false')
  await connection.run('SET allow_community_extensions = false')
  await connection.run('SET lock_configuration = true')
  return { samplesDir, httpfs, httpfsProblem, remotePrefixes: httpfs ? options.remotePrefixes : [] }
}

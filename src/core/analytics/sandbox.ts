import { resolve } from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { describeDuckDbError } from './query-errors.ts'

export interface SandboxOptions {
  /** The directory queries may read files from; none when unset. */
  samplesDir?: string | undefined
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
 * file and network access only under the allowed directory (and URL prefixes), no extension
 * loading, and `lock_configuration` so no query can `SET` its way back out.
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
  const allowed = [...(samplesDir ? [samplesDir] : []), ...(httpfs ? options.remotePrefixes : [])]
  if (allowed.length > 0) await connection.run(`SET allowed_directories = [${allowed.map(sqlString).join(', ')}]`)
  await connection.run('SET enable_external_access = false')
  await connection.run('SET allow_community_extensions = false')
  await connection.run('SET lock_configuration = true')
  return { samplesDir, httpfs, httpfsProblem, remotePrefixes: httpfs ? options.remotePrefixes : [] }
}

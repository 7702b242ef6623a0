import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'

/** A native file the compiled binary carries (an embedded path from `import … with { type: 'file' }`). */
export interface NativeFile {
  readonly name: string
  readonly embeddedPath: string
  readonly size: number
}

/**
 * Where extracted native libraries live. `$XDG_CACHE_HOME` (systemd's `CacheDirectory=` can point it somewhere
 * writable), else `~/.cache`, else the temp dir, so a locked-down service account still starts.
 */
export function nativeCacheRoot(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.IRONSTAR_CACHE_DIR) return env.IRONSTAR_CACHE_DIR
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'ironstar')
  const home = env.HOME ?? safeHomedir()
  return home ? join(home, '.cache', 'ironstar') : join(tmpdir(), 'ironstar-cache')
}

function safeHomedir(): string | null {
  try {
    return homedir() || null
  } catch {
    return null
  }
}

function isComplete(dir: string, files: readonly NativeFile[]): boolean {
  return files.every((file) => {
    const path = join(dir, file.name)
    return existsSync(path) && statSync(path).size === file.size
  })
}

/**
 * Extracts the files once into `<cache>/<key>/` (the key carries their content hash, so a new build never
 * reuses an old library) and returns that directory. Each file is written beside its final name and renamed,
 * so two processes starting at once never load a half-written library.
 */
export function extractNativeFiles(key: string, files: readonly NativeFile[], root = nativeCacheRoot()): string {
  const dir = join(root, key)
  if (isComplete(dir, files)) return dir
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 })
  } catch (error) {
    throw new Error(
      `Cannot extract the native libraries to ${dir}: ${(error as Error).message}; set IRONSTAR_CACHE_DIR to a writable directory`,
      {
        cause: error,
      },
    )
  }
  for (const file of files) {
    const target = join(dir, file.name)
    if (existsSync(target) && statSync(target).size === file.size) continue
    const temporary = `${target}.${process.pid}.tmp`
    // node:fs reads the binary's embedded /$bunfs/ paths like real ones; a loader must be synchronous.
    const bytes = readFileSync(file.embeddedPath)
    const fd = openSync(temporary, 'w', 0o755)
    try {
      let offset = 0
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, target)
  }
  if (!isComplete(dir, files)) throw new Error(`Cannot extract the native libraries to ${dir}: sizes do not match`)
  return dir
}

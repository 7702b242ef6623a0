import { afterAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { extractNativeFiles, nativeCacheRoot } from '../../../src/core/ops/native-cache.ts'

const dir = mkdtempSync(join(tmpdir(), 'ironstar-native-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function fixture(name: string, bytes: number): { name: string; embeddedPath: string; size: number } {
  const embeddedPath = join(dir, `src-${name}`)
  writeFileSync(embeddedPath, Buffer.alloc(bytes, name.charCodeAt(0)))
  return { name, embeddedPath, size: bytes }
}

describe('extractNativeFiles', () => {
  const files = [fixture('lib.so', 300_000), fixture('binding.node', 1_000)]

  it('extracts every file once into a directory named by its key', () => {
    const root = join(dir, 'cache')
    const target = extractNativeFiles('duckdb-abc', files, root)
    expect(target).toBe(join(root, 'duckdb-abc'))
    expect(readFileSync(join(target, 'lib.so')).equals(readFileSync(files[0]!.embeddedPath))).toBe(true)
    const before = statSync(join(target, 'lib.so')).mtimeMs
    Bun.sleepSync(20)
    extractNativeFiles('duckdb-abc', files, root)
    expect(statSync(join(target, 'lib.so')).mtimeMs).toBe(before) // second start: nothing rewritten
  })

  it('replaces a truncated file left by an interrupted extraction', () => {
    const root = join(dir, 'cache-truncated')
    const target = extractNativeFiles('k', files, root)
    writeFileSync(join(target, 'lib.so'), 'half')
    extractNativeFiles('k', files, root)
    expect(statSync(join(target, 'lib.so')).size).toBe(300_000)
  })

  it('says where it could not write, and how to choose another place', () => {
    writeFileSync(join(dir, 'not-a-dir'), '')
    expect(() => extractNativeFiles('k', files, join(dir, 'not-a-dir'))).toThrow(
      `Cannot extract the native libraries to ${join(dir, 'not-a-dir', 'k')}`,
    )
  })

  it('prefers IRONSTAR_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(nativeCacheRoot({ IRONSTAR_CACHE_DIR: '/srv/c', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/srv/c')
    expect(nativeCacheRoot({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/ironstar')
    expect(nativeCacheRoot({ HOME: '/h' })).toBe('/h/.cache/ironstar')
  })
})

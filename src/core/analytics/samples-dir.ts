import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** Where the bundled sample datasets live in the source tree (and, as assets, in the binary). */
export const SAMPLES_ASSET_DIR = 'samples'
const SOURCE_DIR = resolve(import.meta.dir, '../../../assets', SAMPLES_ASSET_DIR)

/** Reads an embedded file's bytes by logical asset name; supplied by the built binary's entry. */
export type EmbeddedSampleReader = () => Promise<readonly { readonly name: string; readonly bytes: Blob }[]>

let embeddedSamples: EmbeddedSampleReader | null = null

/** Called by the built binary, whose embedded files DuckDB (native code) cannot open in place. */
export function useEmbeddedSamples(reader: EmbeddedSampleReader | null): void {
  embeddedSamples = reader
}

/**
 * The one directory analytics queries may read files from. From source it is `assets/samples`;
 * in the built binary the embedded samples are written once to `<DATA_DIR>/samples`, because
 * DuckDB reads real files only. Undefined when there are none: then no file can be read at all.
 */
export async function resolveSamplesDir(dataDir: string): Promise<string | undefined> {
  if (!embeddedSamples) return existsSync(SOURCE_DIR) ? SOURCE_DIR : undefined
  const files = await embeddedSamples()
  if (files.length === 0) return undefined
  const target = resolve(join(dataDir, SAMPLES_ASSET_DIR))
  mkdirSync(target, { recursive: true })
  for (const file of files) {
    const path = join(target, file.name)
    const existing = Bun.file(path)
    if (!(await existing.exists()) || existing.size !== file.bytes.size) await Bun.write(path, file.bytes)
  }
  return target
}

/**
 * Downloads the pinned Datastar client into assets/vendor/ (git-ignored), after checking its
 * hash against the pin in src/core/datastar-pin.ts. Any other bytes are refused.
 *
 *   bun run vendor:datastar                 download the pinned version from its official URL
 *   bun run vendor:datastar --from <file>   vendor a local copy (same hash check), for offline machines
 *   --out <file>                            where to write (default assets/vendor/datastar.js)
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { checkDatastarBundle, DATASTAR_PIN, type DatastarPin } from '../src/core/datastar-pin.ts'

export class BundleRefused extends Error {
  override readonly name = 'BundleRefused'
}

export interface VendorOptions {
  /** @default the pin in src/core/datastar-pin.ts */
  pin?: DatastarPin
}

/** Writes the bundle to `out` if, and only if, it matches the pin; throws BundleRefused otherwise. */
export function vendorBundle(bytes: Uint8Array, out: string, { pin = DATASTAR_PIN }: VendorOptions = {}): void {
  const check = checkDatastarBundle(bytes, pin)
  if (!check.ok) {
    throw new BundleRefused(
      [
        `REFUSED: the Datastar bundle does not match the pin for v${DATASTAR_PIN.version}`,
        `  expected sha256 ${pin.sha256}`,
        `  received sha256 ${check.sha256}`,
        `  expected SRI    ${pin.integrity}`,
        `  received SRI    ${check.integrity}`,
        'Nothing was written. If the release changed on purpose, update the pin in src/core/datastar-pin.ts.',
      ].join('\n'),
    )
  }
  mkdirSync(dirname(out), { recursive: true })
  // Write then rename, so a server reading the file never sees half of it.
  writeFileSync(`${out}.tmp`, bytes)
  renameSync(`${out}.tmp`, out)
}

async function download(): Promise<Uint8Array> {
  console.log(`Downloading Datastar v${DATASTAR_PIN.version} from ${DATASTAR_PIN.url}`)
  const response = await fetch(DATASTAR_PIN.url, { signal: AbortSignal.timeout(30_000) })
  if (!response.ok) throw new Error(`Cannot download Datastar: ${response.status} ${response.statusText}`)
  return new Uint8Array(await response.arrayBuffer())
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { from: { type: 'string' }, out: { type: 'string' } }, strict: true })
  const out = resolve(values.out ?? resolve(import.meta.dir, '../assets/vendor/datastar.js'))
  try {
    const bytes = values.from ? new Uint8Array(await Bun.file(values.from).arrayBuffer()) : await download()
    vendorBundle(bytes, out)
    console.log(`Vendored Datastar v${DATASTAR_PIN.version} (${bytes.byteLength} bytes, hash ok) to ${out}`)
  } catch (error) {
    console.error((error as Error).message)
    process.exit(1)
  }
}

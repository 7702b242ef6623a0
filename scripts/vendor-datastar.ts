/**
 * Vendors the Datastar client into assets/vendor/ (git-ignored) and records what was vendored in
 * assets/vendor/.datastar.json, which doctor, the server's start line and the build read.
 *
 *   bun run vendor:datastar                             download the pinned version and check its hash
 *   bun run vendor:datastar --from <file>               vendor a local copy of the pinned version (same check)
 *   bun run vendor:datastar --from <file> --unpinned    vendor a local 1.0.x bundle that is not the pinned one:
 *                                                       accepted only with this flag, and recorded by hash
 *   --out <file>                                        where to write (default assets/vendor/datastar.js)
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  bundleVersion,
  checkDatastarBundle,
  DATASTAR_PIN,
  type DatastarPin,
  type DatastarRecord,
} from '../src/core/web/datastar-pin.ts'

export class BundleRefused extends Error {
  override readonly name = 'BundleRefused'
}

export interface VendorOptions {
  /** @default the pin in src/core/web/datastar-pin.ts */
  pin?: DatastarPin & { readonly version?: string }
  /** Accept a 1.0.x bundle whose hash is not the pin's; its hash is recorded instead. */
  isUnpinned?: boolean
}

/** The protocol the server's SDK speaks: another 1.0.x client is compatible, another minor may not be. */
const COMPATIBLE = /^1\.0\.\d+$/

/** The record beside the vendored file (a dot file: never served, never embedded). */
export function recordPathFor(out: string): string {
  return join(dirname(out), '.datastar.json')
}

function writeAtomically(path: string, bytes: Uint8Array | string): void {
  // Write then rename, so a server reading the file never sees half of it.
  writeFileSync(`${path}.tmp`, bytes)
  renameSync(`${path}.tmp`, path)
}

function refuseMismatch(
  pin: DatastarPin,
  check: ReturnType<typeof checkDatastarBundle>,
  version: string | null,
): never {
  throw new BundleRefused(
    [
      `REFUSED: the Datastar bundle does not match the pin for v${DATASTAR_PIN.version}`,
      `  expected sha256 ${pin.sha256}`,
      `  received sha256 ${check.sha256}`,
      `  expected SRI    ${pin.integrity}`,
      `  received SRI    ${check.integrity}`,
      `  its first line says ${version ? `v${version}` : 'no version'}`,
      'Nothing was written. If this is a Datastar 1.0.x bundle you trust (an offline copy of another release),',
      'run again with --unpinned: its hash is recorded, and doctor and the server report it as unpinned.',
      'If the release changed on purpose, update the pin in src/core/web/datastar-pin.ts.',
    ].join('\n'),
  )
}

/**
 * Writes the bundle to `out`, with its record beside it, if it matches the pin, or if `isUnpinned` and it is a
 * 1.0.x bundle; throws BundleRefused otherwise, writing nothing. Returns what was recorded.
 */
export function vendorBundle(
  bytes: Uint8Array,
  out: string,
  { pin = DATASTAR_PIN, isUnpinned = false }: VendorOptions = {},
): DatastarRecord {
  const check = checkDatastarBundle(bytes, pin)
  const version = bundleVersion(bytes)
  if (!check.ok && !isUnpinned) refuseMismatch(pin, check, version)
  if (!check.ok && !(version && COMPATIBLE.test(version))) {
    throw new BundleRefused(
      `REFUSED: --unpinned takes a Datastar 1.0.x bundle, and this one's first line says ${version ? `v${version}` : 'no version'} ` +
        '(expected "// Datastar v1.0.<patch>"). Nothing was written.',
    )
  }
  const record: DatastarRecord = {
    version: check.ok ? (pin.version ?? DATASTAR_PIN.version) : (version as string), // checked just above
    sha256: check.sha256,
    integrity: check.integrity,
    pinned: check.ok,
  }
  mkdirSync(dirname(out), { recursive: true })
  writeAtomically(out, bytes)
  writeAtomically(recordPathFor(out), `${JSON.stringify(record, null, 2)}\n`)
  return record
}

async function download(): Promise<Uint8Array> {
  console.log(`Downloading Datastar v${DATASTAR_PIN.version} from ${DATASTAR_PIN.url}`)
  const response = await fetch(DATASTAR_PIN.url, { signal: AbortSignal.timeout(30_000) })
  if (!response.ok) throw new Error(`Cannot download Datastar: ${response.status} ${response.statusText}`)
  return new Uint8Array(await response.arrayBuffer())
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { from: { type: 'string' }, out: { type: 'string' }, unpinned: { type: 'boolean' } },
    strict: true,
  })
  const out = resolve(values.out ?? resolve(import.meta.dir, '../assets/vendor/datastar.js'))
  try {
    if (values.unpinned && !values.from) {
      throw new BundleRefused('Cannot vendor: --unpinned needs --from <file> (only the pinned release is downloaded)')
    }
    const bytes = values.from ? new Uint8Array(await Bun.file(values.from).arrayBuffer()) : await download()
    const record = vendorBundle(bytes, out, { isUnpinned: values.unpinned ?? false })
    const what = record.pinned
      ? `v${record.version} (hash ok)`
      : `unpinned v${record.version} (sha256 ${record.sha256})`
    console.log(`Vendored Datastar ${what}, ${bytes.byteLength} bytes, to ${out}`)
  } catch (error) {
    console.error((error as Error).message)
    process.exit(1)
  }
}

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { hasAsset, isBuiltMode } from './assets.ts'

/**
 * The pinned Datastar browser client. It is not on npm, so the version and hashes of the
 * official bundle live here: `bun run vendor:datastar` downloads it and refuses any other
 * bytes; pages without a vendored copy load this URL with Subresource Integrity.
 */
export const DATASTAR_PIN = {
  version: '1.0.4',
  url: 'https://cdn.jsdelivr.net/gh/starfederation/datastar@1.0.4/bundles/datastar.js',
  sha256: '727844adfc825ee651fb93c544a2a739986f9a21820a94524b35f0cac470cf91',
  integrity: 'sha384-twbOvafhSBQ0rJDNPzJdUw6DRvthVgAVfSIG1BQVmCiNO7Qh2zeVn7T5qstgjJ9q',
} as const

/** Logical asset name of the vendored copy (git-ignored, under assets/). */
export const DATASTAR_ASSET = 'vendor/datastar.js'

let vendored: { readonly value: boolean; readonly checkedAt: number } | null = null
const RECHECK_MS = 2_000

/**
 * Whether pages load the client from the app itself (vendored) or from the pinned CDN URL.
 * Asked on every page and for its CSP; the answer is reused for two seconds, so vendoring
 * while the dev server runs takes effect without a restart but costs no stat per request.
 */
export function isDatastarVendored(): boolean {
  const now = performance.now()
  if (!vendored || now - vendored.checkedAt > RECHECK_MS) vendored = { value: hasAsset(DATASTAR_ASSET), checkedAt: now }
  return vendored.value
}

export interface BundleCheck {
  readonly ok: boolean
  readonly sha256: string
  /** The Subresource Integrity value of the bytes (sha384, base64). */
  readonly integrity: string
}

export interface DatastarPin {
  readonly sha256: string
  readonly integrity: string
}

/** Compares bytes with the pin: both the sha256 and the SRI value must match. */
export function checkDatastarBundle(bytes: Uint8Array, pin: DatastarPin = DATASTAR_PIN): BundleCheck {
  const sha256 = new Bun.CryptoHasher('sha256').update(bytes).digest('hex')
  const integrity = `sha384-${new Bun.CryptoHasher('sha384').update(bytes).digest('base64')}`
  return { ok: sha256 === pin.sha256 && integrity === pin.integrity, sha256, integrity }
}

/**
 * Written by `vendor:datastar` beside the vendored file. A dot file, so it is never served nor embedded:
 * it only tells doctor, the server and the build which bytes were vendored on purpose.
 */
export const DATASTAR_RECORD_ASSET = 'vendor/.datastar.json'

/** What `vendor:datastar` recorded: the bundle's version and hashes, and whether it is the pinned release. */
export interface DatastarRecord {
  readonly version: string
  readonly sha256: string
  readonly integrity: string
  readonly pinned: boolean
}

/** Where pages get the client from, and how sure the app is of those bytes. */
export type DatastarSource =
  | { readonly kind: 'cdn' }
  | { readonly kind: 'pinned' }
  | { readonly kind: 'unpinned'; readonly version: string; readonly sha256: string }
  | { readonly kind: 'unchecked'; readonly sha256: string }

/** The release a bundle says it is, from its first line (`// Datastar v1.0.4`); null when it says none. */
export function bundleVersion(bytes: Uint8Array): string | null {
  const head = new TextDecoder().decode(bytes.subarray(0, 200)).split('\n')[0] ?? ''
  return head.match(/^\/\/ Datastar v(\d+\.\d+\.\d+(?:-[\w.]+)?)\s*$/)?.[1] ?? null
}

function readRecord(path: string): DatastarRecord | null {
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as Partial<DatastarRecord>
    return typeof record.sha256 === 'string' && typeof record.version === 'string' ? (record as DatastarRecord) : null
  } catch {
    return null
  }
}

const PROJECT_ASSETS = resolve(import.meta.dir, '../../../assets')

/** Checks the vendored file against the pin and the record `vendor:datastar` left; reads and hashes it. */
export function inspectVendoredDatastar(assetsDir: string = PROJECT_ASSETS): DatastarSource {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(join(assetsDir, DATASTAR_ASSET))
  } catch {
    return { kind: 'cdn' }
  }
  const check = checkDatastarBundle(bytes)
  if (check.ok) return { kind: 'pinned' }
  const record = readRecord(join(assetsDir, DATASTAR_RECORD_ASSET))
  if (record && !record.pinned && record.sha256 === check.sha256 && record.integrity === check.integrity) {
    return { kind: 'unpinned', version: record.version, sha256: check.sha256 }
  }
  return { kind: 'unchecked', sha256: check.sha256 }
}

let embeddedSource: DatastarSource | null = null

/** Called by the compiled binary's entry with what the build checked, since the record is not embedded. */
export function useEmbeddedDatastar(source: DatastarSource | null): void {
  embeddedSource = source
}

/** The client pages load, as the build checked it (binary) or as the vendored file is now (source). */
export function datastarSource(): DatastarSource {
  if (isBuiltMode()) return embeddedSource ?? { kind: 'cdn' }
  return inspectVendoredDatastar()
}

/** One phrase for doctor, the start line and the build: `unpinned v1.0.2 (sha256 …)`. */
export function describeDatastar(source: DatastarSource): string {
  switch (source.kind) {
    case 'cdn':
      return `pinned v${DATASTAR_PIN.version} from the CDN`
    case 'pinned':
      return `vendored v${DATASTAR_PIN.version} (pinned)`
    case 'unpinned':
      return `unpinned v${source.version} (sha256 ${source.sha256})`
    case 'unchecked':
      return (
        `UNCHECKED assets/${DATASTAR_ASSET} (sha256 ${source.sha256}): it matches neither the pinned ` +
        `v${DATASTAR_PIN.version} nor a record; run bun run vendor:datastar --from <file> ` +
        '(add --unpinned for a 1.0.x release that is not the pinned one)'
      )
    default: {
      const unreachable: never = source
      return String(unreachable)
    }
  }
}

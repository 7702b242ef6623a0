import { hasAsset } from './assets.ts'

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

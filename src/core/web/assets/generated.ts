import { extname } from 'node:path'

/** Every asset URL starts here; the asset handler owns everything below it. */
export const ASSETS_PREFIX = '/assets/'

/**
 * A file the server makes from its own code rather than reads from assets/ (the icon sprite). Its name
 * carries a hash of its content, so it is the same name from source and in the compiled binary (where
 * the build writes it out with the other assets), and always safe to cache forever.
 */
export interface GeneratedAsset {
  /** The name the build manifest lists it under: `icons.svg`. */
  readonly logical: string
  /** The content-hashed name it is served under: `icons-3f9a1c2b.svg`. */
  readonly served: string
  readonly url: string
  readonly type: string
  readonly body: string
  /** Quoted strong validator, as the build computes for every other file. */
  readonly etag: string
}

export function generatedAsset(logical: string, type: string, body: string): GeneratedAsset {
  const digest = new Bun.CryptoHasher('sha256').update(body).digest('hex')
  const ext = extname(logical)
  const served = `${logical.slice(0, logical.length - ext.length)}-${digest.slice(0, 8)}${ext}`
  return { logical, served, url: `${ASSETS_PREFIX}${served}`, type, body, etag: `"${digest.slice(0, 20)}"` }
}

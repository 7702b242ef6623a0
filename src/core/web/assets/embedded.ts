/** One file the build embedded in the binary; paths are what `import … with { type: 'file' }` returned. */
export interface EmbeddedAsset {
  readonly path: string
  readonly type: string
  /** Quoted strong validator computed from the content at build time. */
  readonly etag: string
  /** Hashed names never change content, so they may be cached forever; logical aliases may not. */
  readonly immutable: boolean
  readonly br?: string
  readonly gz?: string
}

/** What build.ts generates: logical name (`app.js`) → served name (`app-3f9a1c.js`), and every servable file. */
export interface EmbeddedAssets {
  readonly manifest: Readonly<Record<string, string>>
  readonly files: Readonly<Record<string, EmbeddedAsset>>
}

export const IMMUTABLE = 'public, max-age=31536000, immutable'

/** Picks `br` over `gzip` when the client accepts it (a `q=0` means refused, RFC 9110 §12.5.3). */
export function preferredEncoding(acceptEncoding: string | null): 'br' | 'gzip' | null {
  if (!acceptEncoding) return null
  const accepted = new Set<string>()
  for (const part of acceptEncoding.split(',')) {
    const [token = '', ...params] = part.trim().toLowerCase().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    if (q !== undefined && Number(q.slice(2)) === 0) continue
    accepted.add(token.trim())
  }
  if (accepted.has('br')) return 'br'
  if (accepted.has('gzip')) return 'gzip'
  return null
}

/** Serves one embedded file with its validator, cache policy and the precompressed variant the client takes. */
export function serveEmbedded(req: Request, asset: EmbeddedAsset): Response {
  const headers = new Headers({
    'Content-Type': asset.type,
    'Cache-Control': asset.immutable ? IMMUTABLE : 'no-cache',
    ETag: asset.etag,
    'X-Content-Type-Options': 'nosniff',
  })
  if (asset.br || asset.gz) headers.set('Vary', 'Accept-Encoding')
  if (req.headers.get('if-none-match') === asset.etag) return new Response(null, { status: 304, headers })
  const encoding = preferredEncoding(req.headers.get('accept-encoding'))
  const variant = encoding === 'br' ? asset.br : encoding === 'gzip' ? asset.gz : undefined
  if (variant && encoding) {
    headers.set('Content-Encoding', encoding)
    return new Response(req.method === 'HEAD' ? null : Bun.file(variant), { headers })
  }
  return new Response(req.method === 'HEAD' ? null : Bun.file(asset.path), { headers })
}

import { type BrotliCompress, constants, createBrotliCompress, createGzip, type Gzip } from 'node:zlib'

export type FeedEncoding = 'br' | 'gzip'

const SUPPORTED: readonly FeedEncoding[] = ['br', 'gzip']

/**
 * Picks brotli or gzip from `Accept-Encoding` (RFC 9110 §12.5.3): the highest q-value wins,
 * brotli on a tie, `q=0` refuses, and no header (or `identity` only) means no compression.
 */
export function negotiateEncoding(acceptEncoding: string | null): FeedEncoding | null {
  if (!acceptEncoding) return null
  const weights = new Map<string, number>()
  for (const part of acceptEncoding.split(',')) {
    const [rawName = '', ...params] = part.toLowerCase().split(';')
    const name = rawName.trim()
    const q = params.map((p) => p.replaceAll(' ', '')).find((p) => p.startsWith('q='))
    const weight = q ? Number(q.slice(2)) : 1
    if (name) weights.set(name, Number.isFinite(weight) ? weight : 0)
  }
  let best: FeedEncoding | null = null
  let bestWeight = 0
  for (const encoding of SUPPORTED) {
    const weight = weights.get(encoding) ?? weights.get('*') ?? 0
    if (weight > bestWeight) {
      best = encoding
      bestWeight = weight
    }
  }
  return best
}

export interface Compressor {
  /** Compresses and flushes one whole SSE event, so the client can decode it at once. */
  write(bytes: Uint8Array): void
  /** Bytes handed in but not yet compressed out (counts towards the connection's bound). */
  readonly pendingBytes: number
  close(): void
}

export interface CompressorOptions {
  /**
   * Brotli quality 0–11. Quality 4 and up switch to much larger hash tables (about 0.8 MiB per
   * stream at 4, 1.4 MiB at 5, against about 0.4 MiB at 3), while fat morphs, which repeat
   * the previous render almost byte for byte, still compress well over 100:1 at 3. @default 3
   */
  brotliQuality?: number
  /** Brotli window, log2 bytes; 17 (128 KiB) spans several renders of a large region. @default 17 */
  brotliWindowBits?: number
  /** gzip level 1–9. @default 6 */
  gzipLevel?: number
}

/**
 * A stateful compressor per connection: later events are encoded against earlier ones, which is
 * where fat morphs (near-identical regions, again and again) compress so well. Every write is
 * flushed (`BROTLI_OPERATION_FLUSH` / `Z_SYNC_FLUSH`), because `CompressionStream` would hold
 * small events back until its buffer fills.
 */
export function createCompressor(
  encoding: FeedEncoding,
  onData: (chunk: Uint8Array) => void,
  options: CompressorOptions = {},
): Compressor {
  const { brotliQuality = 3, brotliWindowBits = 17, gzipLevel = 6 } = options
  const stream: BrotliCompress | Gzip =
    encoding === 'br'
      ? createBrotliCompress({
          flush: constants.BROTLI_OPERATION_FLUSH,
          params: {
            [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
            [constants.BROTLI_PARAM_QUALITY]: brotliQuality,
            [constants.BROTLI_PARAM_LGWIN]: brotliWindowBits,
          },
        })
      : createGzip({ flush: constants.Z_SYNC_FLUSH, level: gzipLevel })
  stream.on('data', (chunk: Buffer) => onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)))
  // Errors here mean the connection is going away; the connection's own close handles that.
  stream.on('error', () => {})
  let closed = false
  return {
    write(bytes) {
      if (!closed) stream.write(bytes)
    },
    get pendingBytes() {
      return stream.writableLength
    },
    close() {
      if (closed) return
      closed = true
      stream.destroy()
    },
  }
}

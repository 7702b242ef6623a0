import { constants, deflateRawSync } from 'node:zlib'

/**
 * Feeds are compressed as one endless gzip member: a 10-byte header, then raw deflate blocks
 * that each end in a sync flush and are never final (no trailer: a dropped feed is a reconnect
 * anyway). Blocks made apart can follow one another on a connection, so a patch shared by many
 * connections is compressed once for all of them, and a connection keeps no compressor: only
 * which shared message it wrote last.
 */
export type FeedEncoding = 'gzip'

/**
 * gzip when `Accept-Encoding` accepts it (RFC 9110 §12.5.3: `q=0` refuses, `*` counts); no
 * header, or `identity` only, means no compression.
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
  return (weights.get('gzip') ?? weights.get('*') ?? 0) > 0 ? 'gzip' : null
}

/** Deflate level 6: a 100-todo fat morph compresses about 24:1 on its own (1: 15:1, 9: 25:1). */
const LEVEL = 6

/** The gzip member header: deflate, no name or time, unknown OS (RFC 1952 §2.3). */
export const GZIP_HEADER: Uint8Array = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff)

/**
 * An empty stored block, as a sync flush ends with: bytes on the wire for proxies and idle
 * timers, and nothing in the decoder's window, so a connection stays in step for warm bytes.
 */
export const EMPTY_BLOCK: Uint8Array = Uint8Array.of(0, 0, 0, 0xff, 0xff)

/** Raw deflate ending in a sync flush (not final); a `dictionary` the decoder's window must end with. */
export function deflateBlock(bytes: Uint8Array, dictionary?: Uint8Array): Uint8Array {
  const out = deflateRawSync(bytes, {
    level: LEVEL,
    finishFlush: constants.Z_SYNC_FLUSH,
    ...(dictionary && { dictionary }),
  })
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

/** Stands for one shared message in a connection's memory, without holding its bytes. */
export type MessageToken = object

/**
 * One message written to many connections, compressed at most twice, when first needed: *cold*
 * (no dictionary: right on any connection) and *warm* (the previous message of its fragment as
 * dictionary: right on a connection whose latest bytes are exactly that message, since deflate
 * refers back into the decoder's window). A fat morph is almost its previous render, so warm
 * bytes are far smaller.
 */
export class SharedMessage {
  readonly bytes: Uint8Array
  readonly token: MessageToken = {}
  readonly #previous: { readonly token: MessageToken; readonly bytes: Uint8Array } | null
  #cold: Uint8Array | null = null
  #warm: Uint8Array | null = null

  constructor(bytes: Uint8Array, previous: SharedMessage | null) {
    this.bytes = bytes
    // The previous message's bytes and token, not the message: no chain of renders stays reachable.
    this.#previous = previous && { token: previous.token, bytes: previous.bytes }
  }

  /** The compressed bytes for a connection whose last write was the message `last` stands for. */
  compressedAfter(last: MessageToken | null): Uint8Array {
    if (this.#previous && last === this.#previous.token) {
      this.#warm ??= deflateBlock(this.bytes, this.#previous.bytes)
      return this.#warm
    }
    this.#cold ??= deflateBlock(this.bytes)
    return this.#cold
  }
}

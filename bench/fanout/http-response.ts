// What a browser does with a feed's bytes before it sees an event: reads the HTTP/1.1 response
// head, undoes the chunked transfer coding, and decodes the Content-Encoding it was given (br,
// gzip, deflate, zstd or none) with a stateful decoder, as its network stack would.
import type { Transform } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate, createZstdDecompress } from 'node:zlib'

const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br, zstd'

/** The request a browser's EventSource-like fetch sends for a feed, with this client's session. */
export function feedRequest(path: string, host: string, cookie: string | null): string {
  const session = cookie ? `Cookie: ${cookie}\r\n` : ''
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\nAccept-Encoding: ${BROWSER_ACCEPT_ENCODING}\r\n${session}\r\n`
}

type Decoder = Transform

function decoderFor(encoding: string): Decoder | null {
  if (encoding === 'br') return createBrotliDecompress()
  if (encoding === 'gzip') return createGunzip()
  if (encoding === 'deflate') return createInflate()
  if (encoding === 'zstd') return createZstdDecompress()
  return null
}

/**
 * Feeds raw socket reads in; calls `onText(text, at)` with decoded body text in order, `at` being
 * when the read that carried those bytes arrived. `status` and `encoding` are known after the head.
 */
export class FeedResponseReader {
  status = 0
  encoding = ''
  #head = ''
  #chunked = false
  #chunkLeft = 0 // body bytes left in the current chunk; -1 while reading a size line
  #sizeLine = ''
  #decoder: Decoder | null = null
  #pending = '' // decoded text not yet handed on
  readonly #onText: (text: string, at: number) => void
  readonly #text = new TextDecoder()

  constructor(onText: (text: string, at: number) => void) {
    this.#onText = onText
  }

  push(bytes: Uint8Array, at: number): void {
    let body = bytes
    if (!this.status) {
      this.#head += Buffer.from(bytes).toString('latin1')
      const end = this.#head.indexOf('\r\n\r\n')
      if (end < 0) return
      this.#readHead(this.#head.slice(0, end))
      body = bytes.subarray(bytes.byteLength - (this.#head.length - end - 4))
    }
    const payload = this.#chunked ? this.#unchunk(body) : body
    if (payload.byteLength === 0) return
    if (!this.#decoder) {
      this.#onText(this.#text.decode(payload, { stream: true }), at)
      return
    }
    // zlib decodes off the JavaScript thread; its output for this read is out when the write's callback runs.
    this.#decoder.write(payload, () => {
      const text = this.#pending
      this.#pending = ''
      if (text) this.#onText(text, at)
    })
  }

  close(): void {
    this.#decoder?.destroy()
  }

  #readHead(head: string): void {
    this.status = Number(head.split(' ')[1])
    for (const line of head.split('\r\n').slice(1)) {
      const colon = line.indexOf(':')
      const name = line.slice(0, colon).trim().toLowerCase()
      const value = line
        .slice(colon + 1)
        .trim()
        .toLowerCase()
      if (name === 'transfer-encoding' && value.includes('chunked')) this.#chunked = true
      if (name === 'content-encoding') this.encoding = value
    }
    this.#chunkLeft = -1
    this.#decoder = decoderFor(this.encoding)
    this.#decoder?.on('data', (chunk: Buffer) => {
      this.#pending += this.#text.decode(chunk, { stream: true })
    })
    this.#decoder?.on('error', () => {})
  }

  /** The chunked transfer coding's payload in `bytes` (RFC 9112 §7.1; no trailers on a feed). */
  #unchunk(bytes: Uint8Array): Uint8Array {
    const parts: Uint8Array[] = []
    let at = 0
    while (at < bytes.byteLength) {
      if (this.#chunkLeft > 0) {
        const take = Math.min(this.#chunkLeft, bytes.byteLength - at)
        parts.push(bytes.subarray(at, at + take))
        this.#chunkLeft -= take
        at += take
        if (this.#chunkLeft === 0) this.#chunkLeft = -2 // the CRLF after the data
        continue
      }
      const byte = bytes[at++] as number
      if (this.#chunkLeft === -2) {
        if (byte === 0x0a) this.#chunkLeft = -1
        continue
      }
      if (byte !== 0x0a) {
        this.#sizeLine += String.fromCharCode(byte)
        continue
      }
      this.#chunkLeft = Number.parseInt(this.#sizeLine.trim(), 16) || 0
      this.#sizeLine = ''
      if (this.#chunkLeft === 0) this.#chunkLeft = -2
    }
    return parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts)
  }
}

import {
  deflateBlock,
  EMPTY_BLOCK,
  type FeedEncoding,
  GZIP_HEADER,
  type MessageToken,
  type SharedMessage,
} from './compression.ts'
import { KEEP_ALIVE, OPENING } from './encode.ts'

export type FeedEndReason = 'client-gone' | 'shutdown' | 'overflow'

export interface FeedConnectionOptions {
  readonly encoding: FeedEncoding | null
  /** Bytes queued for a client that is not reading before it is cut off. */
  readonly maxBufferedBytes: number
  /** Called once when the connection ends, whatever the reason. */
  readonly onEnd: (connection: FeedConnection, reason: FeedEndReason) => void
  /** Asks the server to close the socket soon (Bun's idle timeout): the server ended the response. */
  readonly closeSocket?: () => void
  /** Called once when the socket of a connection that ended holding one is gone (see `holdsSocket`). */
  readonly onSocketClosed?: (connection: FeedConnection) => void
}

/** The headers of a feed response; a HEAD on a feed gets the same ones without opening a feed. */
export function feedHeaders(encoding: FeedEncoding | null): Headers {
  const headers = new Headers({
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    // Reverse proxies (nginx) buffer responses unless told otherwise.
    'X-Accel-Buffering': 'no',
    Vary: 'Accept-Encoding',
  })
  if (encoding) headers.set('Content-Encoding', encoding)
  return headers
}

const byteLength = (chunk: Uint8Array | undefined): number => chunk?.byteLength ?? 0

/**
 * One SSE response. Bytes are pushed (the hub writes one encoded patch to many connections),
 * so backpressure is watched rather than awaited: the stream's queue is sized in bytes and a
 * client whose queue passes the bound is cut off. It reconnects with its Last-Event-ID and
 * gets one fat morph, which is cheaper than buffering what it missed.
 */
export class FeedConnection {
  readonly response: Response
  readonly encoding: FeedEncoding | null
  /** `performance.now()` when the connection was made. */
  readonly openedAt = performance.now()
  readonly #stream: ReadableStream<Uint8Array>
  #controller!: ReadableStreamDefaultController<Uint8Array>
  /** Compressed: the shared message written last, while nothing else has been written since. */
  #lastShared: MessageToken | null = null
  readonly #options: FeedConnectionOptions
  #ended = false
  #holdsSocket = false

  constructor(options: FeedConnectionOptions) {
    this.#options = options
    this.encoding = options.encoding
    this.#stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller
        },
        cancel: () => this.#end('client-gone'),
      },
      // A byte-sized queue with no headroom: desiredSize is minus the bytes the client has not taken.
      { highWaterMark: 0, size: byteLength },
    )
    this.response = new Response(this.#stream, { headers: feedHeaders(options.encoding) })
    if (options.encoding) this.#enqueue(GZIP_HEADER)
    this.write(OPENING)
  }

  get isEnded(): boolean {
    return this.#ended
  }

  /** Ended by the server while Bun still had bytes it could not send: the socket stays open until it closes. */
  get holdsSocket(): boolean {
    return this.#holdsSocket
  }

  /**
   * True once the server has started sending the response (its reader locks the stream). A
   * response that is never claimed was dropped on the way out (a wrapper that kept only the
   * headers); neither its cancel nor the request's abort will ever fire.
   */
  get isClaimed(): boolean {
    return this.#stream.locked
  }

  /** Bytes for this connection alone, compressed on their own (a connection's state is just its last shared message). */
  write(bytes: Uint8Array): void {
    if (this.#ended) return
    this.#lastShared = null
    this.#enqueue(this.encoding ? deflateBlock(bytes) : bytes)
  }

  /** A message many connections are sent: compressed once for all that are in step, once for the rest. */
  writeShared(message: SharedMessage): void {
    if (this.#ended) return
    if (this.encoding) {
      this.#enqueue(message.compressedAfter(this.#lastShared))
      this.#lastShared = message.token
    } else {
      this.#enqueue(message.bytes)
    }
  }

  /** Bytes that keep proxies and idle timers from closing the stream; compressed, they add nothing to the window. */
  keepAlive(): void {
    if (!this.#ended) this.#enqueue(this.encoding ? EMPTY_BLOCK : KEEP_ALIVE)
  }

  /** Ends the response with an error, so the browser treats it as a dropped connection and retries. */
  end(reason: FeedEndReason): void {
    if (this.#ended) {
      if (reason === 'client-gone') this.#socketClosed()
      return
    }
    if (reason !== 'client-gone' && this.isClaimed) {
      // Bun closes an errored response's socket only once it has sent what it took, so the socket of a
      // client that stopped reading would stay open (and its kernel buffer full) for as long as the peer
      // keeps it. Bytes still queued here mean Bun is blocked on that socket; its idle timeout closes it.
      this.#holdsSocket = (this.#controller.desiredSize ?? 0) < 0
      this.#options.closeSocket?.()
    }
    try {
      // A clean close would make Datastar's default `retry: 'auto'` stop for good; an errored
      // stream resets the connection, which it retries. Bun logs any error value but undefined.
      this.#controller.error(undefined)
    } catch {
      // Already closed by the client.
    }
    this.#end(reason)
  }

  #enqueue(chunk: Uint8Array): void {
    if (this.#ended) return
    try {
      this.#controller.enqueue(chunk)
    } catch {
      this.#end('client-gone')
      return
    }
    const queued = -(this.#controller.desiredSize ?? 0)
    if (queued > this.#options.maxBufferedBytes) this.end('overflow')
  }

  #end(reason: FeedEndReason): void {
    if (this.#ended) return
    this.#ended = true
    this.#options.onEnd(this, reason)
  }

  #socketClosed(): void {
    if (!this.#holdsSocket) return
    this.#holdsSocket = false
    this.#options.onSocketClosed?.(this)
  }
}

import { ServerSentEventGenerator } from '@starfederation/datastar-sdk/abstractServerSentEventGenerator'

/**
 * The SDK's abstract generator already turns a patch into SSE lines without writing them;
 * subclassing it (rather than forking it) keeps the wire format the SDK's, while letting us
 * encode a patch once and write the same bytes to every connection.
 */
class LineEncoder extends ServerSentEventGenerator {
  // biome-ignore lint/complexity/noUselessConstructor: the base constructor is protected; this makes it public
  constructor() {
    super()
  }

  close(): void {}
}

const lines = new LineEncoder()
const utf8 = new TextEncoder()

/** One `datastar-patch-elements` event (fat morph by id), carrying `id: <position>` unless it is null. */
export function encodePatch(html: string, position: number | null): Uint8Array {
  if (html.trim() === '') throw new TypeError(`Cannot encode patch at position ${position}: the view rendered nothing`)
  const options = position === null ? {} : { eventId: String(position) }
  return utf8.encode(lines.patchElements(html, options).join(''))
}

/** An SSE comment: ignored by clients, keeps proxies and idle timers from closing the stream. */
export const KEEP_ALIVE: Uint8Array = utf8.encode(': keep-alive\n\n')

/** Written first: Bun sends response headers only with the first body bytes, and a feed may have nothing to say yet. */
export const OPENING: Uint8Array = utf8.encode(': feed open\n\n')

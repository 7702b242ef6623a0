// The bare baselines' feed: a plain stream per request, kept in `open` until the client goes,
// so a broadcast is one enqueue of the same bytes on each.
import type { Server } from 'bun'
import { OPENING } from '../../src/core/web/sse/encode.ts'

export type OpenFeeds = Set<ReadableStreamDefaultController<Uint8Array>>

export function bareFeed(open: OpenFeeds) {
  return (req: Request, srv: Server<undefined>): Response => {
    srv.timeout(req, 0)
    let own: ReadableStreamDefaultController<Uint8Array>
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        own = controller
        open.add(controller)
        controller.enqueue(OPENING)
      },
      cancel: () => {
        open.delete(own)
      },
    })
    return new Response(stream, { headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' } })
  }
}

// The browser-shaped fan-out bench's baseline: a bare Bun.serve with the counter page's routes
// that writes the same bytes (the app's own counter render, uncompressed) to every open feed,
// inside the command's request handler. Every visitor gets a cookie, as from the real app.
import { encodePatch } from '../../src/core/web/sse/encode.ts'
import { globalCounter } from '../../src/features/counter/views.ts'
import { bareFeed } from './bare-feed.ts'

const controllers = new Set<ReadableStreamDefaultController<Uint8Array>>()
let position = 0
const server = Bun.serve({
  port: Number(process.argv[2] ?? 0),
  hostname: '127.0.0.1',
  routes: {
    '/healthz': () => new Response('ok'),
    '/counter': () =>
      new Response(`<div data-init="@get('/counter/feed?since=${position}')"></div>`, {
        headers: { 'Content-Type': 'text/html', 'Set-Cookie': `sid=${crypto.randomUUID()}; HttpOnly; Path=/` },
      }),
    '/counter/feed': bareFeed(controllers),
    '/counter/global/increment': {
      POST: () => {
        position++
        const bytes = encodePatch(globalCounter(position).value, position)
        for (const controller of controllers) controller.enqueue(bytes)
        return new Response(null, { status: 204 })
      },
    },
  },
})
console.log(JSON.stringify({ port: server.port }))
process.on('SIGTERM', () => {
  server.stop(true)
  process.exit(0)
})

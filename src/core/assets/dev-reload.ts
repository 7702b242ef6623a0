/** Paths of the dev-only reload endpoint; they exist only when a server runs from source in development. */
export const DEV_RELOAD_PATH = '/__dev/reload'
export const DEV_RELOAD_SCRIPT_PATH = '/__dev/reload.js'

// The page remembers the first version it saw. `bun --watch` restarts the process on a src change, the
// EventSource reconnects (after `retry`) and sees a new boot id; a web/ rebuild bumps the counter. Either reloads.
const CLIENT_SCRIPT = `const source = new EventSource(${JSON.stringify(DEV_RELOAD_PATH)})
let seen = null
source.onmessage = (event) => {
  if (seen !== null && seen !== event.data) location.reload()
  seen = event.data
}
`

// Bun.serve closes a response that is idle for 10 s (its default idleTimeout), so comment well inside that.
const KEEPALIVE_MS = 5_000
// Dev only, but still bounded: a leaked tab loop cannot grow this without limit.
const MAX_CLIENTS = 64

export class DevReload {
  readonly #bootId = crypto.randomUUID().slice(0, 8)
  readonly #clients = new Map<ReadableStreamDefaultController<Uint8Array>, ReturnType<typeof setInterval>>()
  readonly #encoder = new TextEncoder()
  #builds = 0
  #closed = false

  get version(): string {
    return `${this.#bootId}.${this.#builds}`
  }

  /** Tells every open page that web/ was rebuilt. */
  notify(): void {
    this.#builds++
    this.#broadcast(`data: ${this.version}\n\n`)
  }

  handle(req: Request): Response {
    if (this.#closed || this.#clients.size >= MAX_CLIENTS) {
      return new Response('Too many dev reload connections', { status: 503 })
    }
    const clients = this.#clients
    const encoder = this.#encoder
    const first = `retry: 300\ndata: ${this.version}\n\n`
    let timer: ReturnType<typeof setInterval> | undefined
    let self: ReadableStreamDefaultController<Uint8Array> | undefined
    const drop = () => {
      clearInterval(timer)
      if (self) clients.delete(self)
    }
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        self = controller
        controller.enqueue(encoder.encode(first))
        timer = setInterval(() => {
          try {
            controller.enqueue(encoder.encode(': keep-alive\n\n'))
          } catch {
            drop()
          }
        }, KEEPALIVE_MS)
        clients.set(controller, timer)
        req.signal.addEventListener('abort', () => {
          drop()
          try {
            controller.close()
          } catch {
            // Already closed by the runtime after the disconnect.
          }
        })
      },
      cancel: drop,
    })
    return new Response(body, {
      headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' },
    })
  }

  script(): Response {
    return new Response(CLIENT_SCRIPT, {
      headers: { 'Content-Type': 'text/javascript;charset=utf-8', 'Cache-Control': 'no-store' },
    })
  }

  close(): void {
    this.#closed = true
    for (const [controller, timer] of this.#clients) {
      clearInterval(timer)
      try {
        controller.close()
      } catch {
        // A client that already went away.
      }
    }
    this.#clients.clear()
  }

  #broadcast(text: string): void {
    const bytes = this.#encoder.encode(text)
    for (const [controller, timer] of this.#clients) {
      try {
        controller.enqueue(bytes)
      } catch {
        clearInterval(timer)
        this.#clients.delete(controller)
      }
    }
  }
}

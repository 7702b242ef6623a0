/** One server-sent event as a browser's EventSource would dispatch it. */
export interface SseEvent {
  readonly event: string
  readonly id: string | null
  readonly data: string
  readonly retry: number | null
}

/**
 * Parses an SSE byte stream by the WHATWG rules (html.spec.whatwg.org, "Parsing an event
 * stream"): lines end in CRLF, LF or CR; `:` starts a comment; an event is dispatched at a
 * blank line, and only if it had data. Feed it decoded text in any chunking.
 */
export class SseParser {
  #buffer = ''
  #event = ''
  #data: string[] = []
  #id: string | null = null
  #retry: number | null = null
  comments = 0

  push(text: string): SseEvent[] {
    this.#buffer += text
    const out: SseEvent[] = []
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer)
      // A lone CR at the end may be the first half of CRLF: wait for more.
      if (!match || (match[0] === '\r' && match.index === this.#buffer.length - 1)) break
      const line = this.#buffer.slice(0, match.index)
      this.#buffer = this.#buffer.slice(match.index + match[0].length)
      const event = this.#line(line)
      if (event) out.push(event)
    }
    return out
  }

  #line(line: string): SseEvent | null {
    if (line === '') return this.#dispatch()
    if (line.startsWith(':')) {
      this.comments++
      return null
    }
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') this.#event = value
    else if (field === 'data') this.#data.push(value)
    else if (field === 'id' && !value.includes('\0')) this.#id = value
    else if (field === 'retry' && /^\d+$/.test(value)) this.#retry = Number(value)
    return null
  }

  #dispatch(): SseEvent | null {
    const hadData = this.#data.length > 0
    const event: SseEvent = {
      event: this.#event || 'message',
      id: this.#id,
      data: this.#data.join('\n'),
      retry: this.#retry,
    }
    this.#event = ''
    this.#data = []
    this.#retry = null
    // Per spec the last event id persists across events; we report it only on events that set it.
    this.#id = null
    return hadData ? event : null
  }
}

/** The parts of a `datastar-patch-elements` event, joined back from its data lines. */
export interface ElementsPatch {
  readonly elements: string
  readonly selector: string | null
  readonly mode: string
}

export function parseElementsPatch(event: SseEvent): ElementsPatch {
  if (event.event !== 'datastar-patch-elements') {
    throw new TypeError(`Cannot read elements patch: event is "${event.event}"`)
  }
  const elements: string[] = []
  let selector: string | null = null
  let mode = 'outer'
  for (const line of event.data.split('\n')) {
    const space = line.indexOf(' ')
    const key = space === -1 ? line : line.slice(0, space)
    const value = space === -1 ? '' : line.slice(space + 1)
    if (key === 'elements') elements.push(value)
    else if (key === 'selector') selector = value
    else if (key === 'mode') mode = value
  }
  return { elements: elements.join('\n'), selector, mode }
}

export interface SseConnectionOptions {
  headers?: Record<string, string>
}

/**
 * A live SSE response read as a client would. `next()` waits for the next event (null on
 * timeout or end); `close()` disconnects like a closed browser tab. Bun's fetch decodes
 * `Content-Encoding` (gzip) incrementally, so compressed feeds read the same way.
 */
export class SseConnection {
  readonly response: Response
  readonly #parser = new SseParser()
  readonly #queue: SseEvent[] = []
  readonly #controller: AbortController
  #wake: (() => void) | null = null
  #ended = false
  /** Why the stream ended: 'done' (clean end), 'error' (reset), or 'closed' (we closed it). */
  endedBy: 'done' | 'error' | 'closed' | null = null
  readonly finished: Promise<void>

  private constructor(response: Response, controller: AbortController) {
    this.response = response
    this.#controller = controller
    this.finished = this.#pump()
  }

  static async open(url: string | URL, options: SseConnectionOptions = {}): Promise<SseConnection> {
    const controller = new AbortController()
    const response = await fetch(url, {
      headers: { Accept: 'text/event-stream', ...options.headers },
      signal: controller.signal,
    })
    return new SseConnection(response, controller)
  }

  get comments(): number {
    return this.#parser.comments
  }

  get isEnded(): boolean {
    return this.#ended
  }

  /** The next event, or null when none arrives within `timeoutMs` or the stream ended. */
  async next(timeoutMs = 2_000): Promise<SseEvent | null> {
    const deadline = Date.now() + timeoutMs
    while (this.#queue.length === 0 && !this.#ended) {
      const left = deadline - Date.now()
      if (left <= 0) return null
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.#wake = null
    }
    return this.#queue.shift() ?? null
  }

  /** Events already received and not yet taken by `next()`. */
  drain(): SseEvent[] {
    return this.#queue.splice(0)
  }

  close(): void {
    if (!this.#ended) this.endedBy = 'closed'
    this.#controller.abort()
  }

  async #pump(): Promise<void> {
    const decoder = new TextDecoder()
    try {
      if (!this.response.body) return
      for await (const chunk of this.response.body) {
        this.#queue.push(...this.#parser.push(decoder.decode(chunk, { stream: true })))
        this.#wake?.()
      }
      this.endedBy ??= 'done'
    } catch {
      this.endedBy ??= 'error'
    } finally {
      this.#ended = true
      this.#wake?.()
    }
  }
}

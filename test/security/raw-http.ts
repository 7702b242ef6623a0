/**
 * A raw HTTP/1.x client over a TCP socket, for requests `fetch` refuses to send: no or several
 * Host headers, odd methods, HTTP/1.0, absurd header values. It reads the status line and the
 * headers (and, when asked, a bounded body), then closes the socket, so a feed that would stream
 * forever is left the way a browser leaves it.
 */

export interface RawAnswer {
  /** null when the server closed the connection without a response, or did not answer in time. */
  readonly status: number | null
  readonly headers: ReadonlyMap<string, string>
  readonly body: string
  readonly timedOut: boolean
}

export interface RawOptions {
  /** Read the body too, up to this many bytes (a response with Connection: close ends it). @default 0 */
  readBodyBytes?: number
  /** @default 5000 */
  timeoutMs?: number
}

const HEADER_END = '\r\n\r\n'

function parseHead(head: string): { status: number; headers: Map<string, string> } | null {
  const [statusLine = '', ...lines] = head.split('\r\n')
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)
  if (!match) return null
  const headers = new Map<string, string>()
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return { status: Number(match[1]), headers }
}

/** The final (non-1xx) status line and headers in `received`, and where its body starts. */
function finalHead(received: string): { status: number; headers: Map<string, string>; bodyStart: number } | null {
  for (let from = 0; ; ) {
    const end = received.indexOf(HEADER_END, from)
    const head = end === -1 ? null : parseHead(received.slice(from, end))
    if (!head) return null
    from = end + HEADER_END.length
    if (head.status >= 200) return { ...head, bodyStart: from }
  }
}

/**
 * How a request's bytes go out: all at once, or in parts with a pause between them (a slow body),
 * and optionally followed by closing the sending side (a body cut short: the server reads EOF).
 */
export interface Delivery {
  readonly parts: readonly Uint8Array[]
  readonly gapMs: number
  readonly halfClose: boolean
}

/** Sends `wire` as one request on a fresh connection to 127.0.0.1:`port`. */
export function sendRaw(port: number, wire: Uint8Array | Delivery, options: RawOptions = {}): Promise<RawAnswer> {
  const { readBodyBytes = 0, timeoutMs = 5_000 } = options
  const { parts, gapMs, halfClose } = wire instanceof Uint8Array ? { parts: [wire], gapMs: 0, halfClose: false } : wire
  return new Promise((resolve) => {
    let received = ''
    let next = 0
    let pending: Uint8Array = new Uint8Array(0)
    let settled = false
    let socket: { end(): void; shutdown(halfClose?: boolean): void; write(data: Uint8Array): number } | null = null
    let gap: ReturnType<typeof setTimeout> | undefined
    const settle = (timedOut = false) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearTimeout(gap)
      socket?.end()
      const head = finalHead(received)
      if (!head) return resolve({ status: null, headers: new Map(), body: '', timedOut })
      const body = received.slice(head.bodyStart, head.bodyStart + readBodyBytes)
      resolve({ status: head.status, headers: head.headers, body, timedOut })
    }
    const timer = setTimeout(() => settle(true), timeoutMs)
    // Writes what the socket takes; once a part is out, the next follows after the gap.
    const write = () => {
      if (!socket || settled) return
      pending = pending.subarray(Math.max(0, socket.write(pending)))
      if (pending.byteLength > 0) return
      if (next < parts.length) {
        const part = parts[next++] as Uint8Array
        const send = () => {
          pending = part
          write()
        }
        if (next === 1 || gapMs === 0) send()
        else gap = setTimeout(send, gapMs)
      } else if (halfClose) {
        socket.shutdown(true)
      }
    }
    Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(opened) {
          socket = opened
          write()
        },
        drain: () => write(),
        data(_socket, chunk) {
          received += Buffer.from(chunk).toString('latin1')
          const head = finalHead(received)
          if (head && received.length - head.bodyStart >= readBodyBytes) settle()
        },
        close: () => settle(),
        error: () => settle(),
        connectError: () => settle(),
      },
    }).catch(() => settle())
  })
}

// First visits under load: loops of visitors without a cookie, each sending one command under an
// Idempotency-Key, so every acknowledged one made the server store a new session (a background
// write) as well as an event. What they got is counted by status, the message of each 5xx kept,
// and each acknowledged visitor kept as a LoadClient for the audit (its session must be stored).
import { sessionIdFor } from '../../src/core/web/session-token.ts'
import { commandIdOf, type LoadClient, SESSION_ROUTE } from './_load.ts'

export class Newcomers {
  /** One per acknowledged first visit: its one command and the session it was given. */
  readonly clients: LoadClient[] = []
  /** Answers by status (`303` included, `error` for a failed connection). */
  readonly statuses = new Map<string, number>()
  /** `503 (Retry-After 30): The disk is full: …` → how many times. */
  readonly messages = new Map<string, number>()
  readonly #origin: string
  #running = true
  readonly #loops: Promise<void>[]

  constructor(origin: string, concurrency: number) {
    this.#origin = origin
    this.#loops = Array.from({ length: concurrency }, (_, index) => this.#loop(index))
  }

  get acknowledged(): number {
    return this.statuses.get('303') ?? 0
  }

  async stop(): Promise<void> {
    this.#running = false
    await Promise.all(this.#loops)
  }

  async #loop(index: number): Promise<void> {
    for (let n = 0; this.#running; n++) {
      const key = `newcomer${index}-${n}`
      const res = await fetch(`${this.#origin}${SESSION_ROUTE}`, {
        method: 'POST',
        headers: { Origin: this.#origin, 'Idempotency-Key': key },
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      }).catch(() => null)
      const body = (await res?.text()) ?? ''
      const status = res ? String(res.status) : 'error'
      this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1)
      const cookie = res?.headers.get('set-cookie')?.split(';')[0]
      if (res?.status === 303 && cookie) {
        const sessionId = sessionIdFor(decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1)))
        const commandId = commandIdOf(sessionId, SESSION_ROUTE, key)
        this.clients.push({ cookie, sessionId, acknowledged: [{ route: SESSION_ROUTE, key, commandId }] })
      } else if (res && res.status >= 500) {
        const message = `${res.status} (Retry-After ${res.headers.get('retry-after') ?? 'none'}): ${messageOf(body)}`
        this.messages.set(message, (this.messages.get(message) ?? 0) + 1)
      }
      await Bun.sleep(20)
    }
  }
}

/** The sentence an error page shows (its `<h1>` and first paragraph), or the body's start. */
function messageOf(body: string): string {
  const page = /<h1>([^<]*)<\/h1>\s*<p>([^<]*)<\/p>/.exec(body)
  return page ? `${page[1]}: ${page[2]}` : body.replace(/\s+/g, ' ').slice(0, 120)
}

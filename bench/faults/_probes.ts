// What a visitor sees while a fault lasts: a page (`/counter`) and `/healthz` fetched in a loop,
// their statuses and slowest answer, and whether a feed opened before the fault is still open.
import { SseConnection } from '../../src/core/testing/sse-client.ts'

export interface ProbeReport {
  /** `GET /counter` answers by status (`error` for a failed connection). */
  readonly pages: Record<string, number>
  readonly healthz: Record<string, number>
  readonly slowestPageMs: number
  readonly slowestHealthzMs: number
  readonly feedOpen: boolean
}

export class Probes {
  readonly #origin: string
  readonly #pages = new Map<string, number>()
  readonly #healthz = new Map<string, number>()
  #slowestPageMs = 0
  #slowestHealthzMs = 0
  #running = true
  #loop: Promise<void>
  #feed: SseConnection | null = null

  private constructor(origin: string) {
    this.#origin = origin
    this.#loop = this.#run()
  }

  static async start(origin: string): Promise<Probes> {
    const probes = new Probes(origin)
    probes.#feed = await SseConnection.open(`${origin}/counter/feed`).catch(() => null)
    return probes
  }

  /** Stops probing and closes the feed; says what was seen. */
  async stop(): Promise<ProbeReport> {
    this.#running = false
    await this.#loop
    const feedOpen = this.#feed !== null && this.#feed.endedBy === null
    this.#feed?.close()
    return {
      pages: Object.fromEntries(this.#pages),
      healthz: Object.fromEntries(this.#healthz),
      slowestPageMs: this.#slowestPageMs,
      slowestHealthzMs: this.#slowestHealthzMs,
      feedOpen,
    }
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#slowestPageMs = Math.max(this.#slowestPageMs, await this.#probe('/counter', this.#pages))
      this.#slowestHealthzMs = Math.max(this.#slowestHealthzMs, await this.#probe('/healthz', this.#healthz))
      await Bun.sleep(50)
    }
  }

  async #probe(path: string, statuses: Map<string, number>): Promise<number> {
    const started = performance.now()
    const res = await fetch(`${this.#origin}${path}`, { signal: AbortSignal.timeout(15_000) }).catch(() => null)
    await res?.arrayBuffer()
    const status = res ? String(res.status) : 'error'
    statuses.set(status, (statuses.get(status) ?? 0) + 1)
    return performance.now() - started
  }
}

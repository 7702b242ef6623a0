/**
 * The soak's load: feeds that open and close all the time (todos and counter, brotli, gzip and
 * none, held from a fraction of a second to a few seconds), commands at a steady rate from a
 * fixed set of visitors, and a trickle of new visitors whose first page creates a session.
 */

export interface ChurnOptions {
  readonly origin: string
  /** Feeds open at any moment; each closes after a random hold and another opens. */
  readonly feeds: number
  readonly commandsPerSecond: number
  readonly visitors: number
  readonly newVisitorsPerSecond: number
  /** Accept-Encoding values feeds ask with, one picked per feed. @default brotli, gzip, none and all three */
  readonly encodings?: readonly string[]
}

export interface ChurnCounts {
  feedsOpened: number
  feedBytes: number
  commands: Record<string, number>
  newVisitors: number
  errors: number
}

const FEEDS = ['/todos/feed', '/counter/feed'] as const
const ENCODINGS = ['br', 'gzip', 'identity', 'gzip, deflate, br']
const COMMANDS = [
  ['/counter/global/increment', 4],
  ['/counter/session/increment', 2],
  ['/todos', 3],
  ['/todos/toggle-all', 1],
  ['/todos/clear-completed', 1],
] as const
const WEIGHTED = COMMANDS.flatMap(([path, weight]) => Array<string>(weight).fill(path))

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T

async function newSession(origin: string): Promise<string> {
  const page = await fetch(`${origin}/todos`)
  await page.arrayBuffer()
  return (page.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
}

export class Churn {
  readonly counts: ChurnCounts = { feedsOpened: 0, feedBytes: 0, commands: {}, newVisitors: 0, errors: 0 }
  readonly #options: ChurnOptions
  readonly #stop = new AbortController()
  #cookies: string[] = []
  #running: Promise<unknown>[] = []

  constructor(options: ChurnOptions) {
    this.#options = options
  }

  async start(): Promise<void> {
    const { origin, visitors, feeds, commandsPerSecond, newVisitorsPerSecond } = this.#options
    this.#cookies = await Promise.all(Array.from({ length: visitors }, () => newSession(origin)))
    const commandWorkers = commandsPerSecond > 0 ? Math.min(8, Math.ceil(commandsPerSecond / 5)) : 0
    this.#running = [
      ...Array.from({ length: feeds }, () => this.#loop(() => this.#feed())),
      ...Array.from({ length: commandWorkers }, () =>
        this.#paced(commandWorkers / commandsPerSecond, () => this.#command()),
      ),
      ...(newVisitorsPerSecond > 0 ? [this.#paced(1 / newVisitorsPerSecond, () => this.#newVisitor())] : []),
    ]
  }

  async stop(): Promise<void> {
    this.#stop.abort()
    await Promise.allSettled(this.#running)
  }

  get #stopped(): boolean {
    return this.#stop.signal.aborted
  }

  async #loop(step: () => Promise<void>): Promise<void> {
    while (!this.#stopped) {
      try {
        await step()
      } catch {
        if (!this.#stopped) this.counts.errors++
        await Bun.sleep(50)
      }
    }
  }

  /** Runs `step` once every `seconds`, whatever it takes (a slow step delays the next, never piles up). */
  #paced(seconds: number, step: () => Promise<void>): Promise<void> {
    return this.#loop(async () => {
      const started = performance.now()
      await step()
      await Bun.sleep(Math.max(0, seconds * 1000 - (performance.now() - started)))
    })
  }

  async #feed(): Promise<void> {
    const hold = new AbortController()
    const timer = setTimeout(() => hold.abort(), 200 + Math.random() * 3_800)
    const stop = () => hold.abort()
    this.#stop.signal.addEventListener('abort', stop)
    try {
      const response = await fetch(this.#options.origin + pick(FEEDS), {
        headers: {
          Cookie: pick(this.#cookies),
          'Accept-Encoding': pick(this.#options.encodings ?? ENCODINGS),
          'Datastar-Request': 'true',
        },
        signal: hold.signal,
        decompress: false,
      })
      this.counts.feedsOpened++
      const reader = response.body?.getReader()
      for (;;) {
        const chunk = await reader?.read()
        if (!chunk || chunk.done) break
        this.counts.feedBytes += chunk.value.byteLength
      }
    } catch (error) {
      if (!hold.signal.aborted) throw error
    } finally {
      clearTimeout(timer)
      this.#stop.signal.removeEventListener('abort', stop)
    }
  }

  async #command(): Promise<void> {
    const path = pick(WEIGHTED)
    const { origin } = this.#options
    const answer = await fetch(origin + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: pick(this.#cookies), Origin: origin, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: path === '/todos' ? `text=soak+${Math.floor(Math.random() * 1e6)}` : '',
    })
    await answer.arrayBuffer()
    this.counts.commands[answer.status] = (this.counts.commands[answer.status] ?? 0) + 1
  }

  async #newVisitor(): Promise<void> {
    const page = await fetch(this.#options.origin + pick(['/todos', '/counter', '/']))
    await page.arrayBuffer()
    this.counts.newVisitors++
  }
}

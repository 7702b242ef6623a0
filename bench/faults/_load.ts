// Steady command load through the real routes: each client is one browser session that
// increments its own counter (and, every `globalEvery`-th command, the shared one), one
// request at a time, each under an Idempotency-Key of its own. A request whose connection died
// is in doubt: the client sends it again, same key, until it gets an answer, so at the end
// every key was either acknowledged once or refused, and the log can be checked against that.
import { scopeOf } from '../../src/core/web/http/idempotency-key.ts'
import { commandIdBase } from '../../src/core/web/http/idempotency-log.ts'
import { sessionIdFor } from '../../src/core/web/session-token.ts'

export const SESSION_ROUTE = '/counter/session/increment'
export const GLOBAL_ROUTE = '/counter/global/increment'

/** One command as the client sent it: the route, its key, and the command id the server derives. */
export interface SentCommand {
  readonly route: string
  readonly key: string
  readonly commandId: string
}

export interface LoadClient {
  readonly cookie: string
  readonly sessionId: string
  /** Commands answered with a success (303), in order. */
  readonly acknowledged: SentCommand[]
}

export interface LoadCounters {
  acknowledged: number
  /** Requests whose connection failed after they were sent (reset, timeout): outcome unknown. */
  inDoubt: number
  /** Requests that could not connect (the server was down): never sent. */
  refusedConnections: number
  /** Answers other than 303, by status. */
  statuses: Map<number, number>
  /** 503 answers without Retry-After (a client would not know when to try again). */
  withoutRetryAfter: number
}

export interface LoadOptions {
  readonly clients: number
  /** Every n-th command of a client goes to the shared counter (0: never). @default 5 */
  readonly globalEvery?: number
  /** Called with each command whose request was sent but not answered. */
  readonly onInDoubt?: (command: SentCommand) => void
}

/** The log's id for the first command a request under `key` handles (see the Idempotency-Key middleware). */
export function commandIdOf(sessionId: string, route: string, key: string): string {
  return `${commandIdBase(scopeOf(sessionId, 'POST', route, key))}.0`
}

export class CommandLoad {
  readonly clients: LoadClient[] = []
  readonly counters: LoadCounters = {
    acknowledged: 0,
    inDoubt: 0,
    refusedConnections: 0,
    statuses: new Map(),
    withoutRetryAfter: 0,
  }
  readonly #options: LoadOptions
  #origin: string
  #running = false
  #draining = false
  #loops: Promise<void>[] = []

  constructor(origin: string, options: LoadOptions) {
    this.#origin = origin
    this.#options = options
  }

  /** Gets each client a stored session (a first write), then starts the loops. */
  async start(): Promise<void> {
    for (let i = 0; i < this.#options.clients; i++) this.clients.push(await this.#newClient())
    // Sessions are written in the background within 50 ms: let them land before anything is killed.
    await Bun.sleep(200)
    this.#running = true
    this.#loops = this.clients.map((client, index) => this.#loop(client, index))
  }

  /** Stops new commands; resolves once every client's last command got a real answer. */
  async drain(): Promise<void> {
    this.#draining = true
    await Promise.all(this.#loops)
    this.#running = false
  }

  async #newClient(): Promise<LoadClient> {
    for (;;) {
      const res = await fetch(`${this.#origin}${SESSION_ROUTE}`, {
        method: 'POST',
        headers: { Origin: this.#origin },
        redirect: 'manual',
      }).catch(() => null)
      const cookie = res?.headers.get('set-cookie')?.split(';')[0]
      if (res?.status === 303 && cookie) {
        const token = cookie.slice(cookie.indexOf('=') + 1)
        return { cookie, sessionId: sessionIdFor(decodeURIComponent(token)), acknowledged: [] }
      }
      await Bun.sleep(50)
    }
  }

  async #loop(client: LoadClient, index: number): Promise<void> {
    const globalEvery = this.#options.globalEvery ?? 5
    for (let n = 0; this.#running && !this.#draining; n++) {
      const route = globalEvery > 0 && n % globalEvery === globalEvery - 1 ? GLOBAL_ROUTE : SESSION_ROUTE
      const key = `c${index}-${n}`
      await this.#settle(client, { route, key, commandId: commandIdOf(client.sessionId, route, key) })
    }
  }

  /** Sends one command until it gets an answer; a 303 acknowledges it, any other answer refuses it. */
  async #settle(client: LoadClient, command: SentCommand): Promise<void> {
    let reportedInDoubt = false
    for (;;) {
      const res = await fetch(`${this.#origin}${command.route}`, {
        method: 'POST',
        headers: { Origin: this.#origin, Cookie: client.cookie, 'Idempotency-Key': command.key },
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      }).catch((error: { code?: string }) => error)
      if (res instanceof Response) {
        await res.arrayBuffer()
        if (res.status === 303) {
          client.acknowledged.push(command)
          this.counters.acknowledged++
          return
        }
        this.counters.statuses.set(res.status, (this.counters.statuses.get(res.status) ?? 0) + 1)
        if (res.status === 503 && !res.headers.has('retry-after')) this.counters.withoutRetryAfter++
        // A 5xx is never recorded under the key (503: storage failing or overloaded, nothing
        // written): the same key again after a pause, which the server runs or replays.
        if (res.status < 500) return
      } else if (res.code === 'ECONNREFUSED') {
        this.counters.refusedConnections++
      } else if (!reportedInDoubt) {
        reportedInDoubt = true
        this.counters.inDoubt++
        this.#options.onInDoubt?.(command)
      }
      await Bun.sleep(20)
    }
  }
}

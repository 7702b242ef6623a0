/**
 * A hostile-input campaign against the real app in a child process: start it, visit it as a
 * browser would (a session, todos, a query, so requests can name ids that exist), send seeded
 * generated requests and say what went wrong with each. The test suite runs a short one; the
 * fuzz harness (bench/fuzz/hostile-http.ts) the same generator with a larger count. The server
 * process and the queries on its files are in hostile-process.ts.
 */
import { hashToken } from '../../src/core/web/session-core.ts'
import { type HostileServer, headPosition, sessionRows, typesAfter } from './hostile-process.ts'
import { type HostileRequest, type Known, NEVER_WRITES, RequestGenerator } from './hostile-requests.ts'
import { deliveryOf, describeRequest, encodeRequest } from './hostile-wire.ts'
import { type RawAnswer, sendRaw } from './raw-http.ts'

/** What a file outside the public assets would show if a traversal reached it. */
const LEAKED = /SQLite format 3|"name": "ironstar"|startServer|root:x:0:0/
const SAFE_METHODS = new Set(['GET', 'HEAD'])
/** Outcomes the query runner writes in the background for a query accepted earlier. */
export const BACKGROUND = new Set(['QueryCompleted', 'QueryFailed', 'QueryCancelled'])

/** The hash of the session token a cookie (`session=…`, or a `Set-Cookie` value) names, if any. */
function sessionHashIn(cookie: string): string | null {
  const token = /^(?:__Host-)?session=([^;]+)/.exec(cookie)?.[1]
  return token ? hashToken(token) : null
}

/** How long a session the server stored takes to reach the disk: its queue is written every 50 ms. */
const SESSION_FLUSH_MS = 150

export const get = (target: string, headers: [string, string][] = []): HostileRequest => ({
  kind: 'valid',
  method: 'GET',
  target,
  headers,
  body: new Uint8Array(0),
  version: '1.1',
})

export async function metric(server: HostileServer, name: string): Promise<number> {
  const answer = await sendRaw(server.port, encodeRequest(get('/metrics'), server.host), { readBodyBytes: 1 << 20 })
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(answer.body)?.[1])
}

export async function readyWithin(server: HostileServer, ms: number): Promise<number | null> {
  const deadline = performance.now() + ms
  for (;;) {
    const { status } = await sendRaw(server.port, encodeRequest(get('/readyz'), server.host))
    if (status === 200 || performance.now() > deadline) return status
    await Bun.sleep(50)
  }
}

/** A session with two todos and a query, so generated requests can name ids that exist. */
export async function visitAsABrowserWould(server: HostileServer): Promise<Known> {
  const { origin, host } = server
  const first = await fetch(`${origin}/todos`)
  const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  const post = (path: string, body: string) =>
    fetch(origin + path, {
      method: 'POST',
      body,
      redirect: 'manual',
      headers: { Cookie: cookie, Origin: origin, 'Content-Type': 'application/x-www-form-urlencoded' },
    })
  await post('/todos', 'text=first')
  await post('/todos', 'text=second')
  const query = await post('/analytics/explore', 'sql=SELECT+1')
  const queryId = new URL(query.headers.get('location') ?? '/', origin).searchParams.get('q') ?? ''
  const todoIds = (
    server.events.query("SELECT payload ->> '$.id' AS id FROM events WHERE event_type = 'TodoAdded'").all() as {
      id: string
    }[]
  ).map((row) => row.id)
  return { host, cookie, ids: [...todoIds, queryId, 'ship', 'model'] }
}

/** Problems counted by what went wrong and the kind of request, e.g. `answered 500 [host]`. */
export function summarise(problems: readonly string[]): Record<string, number> {
  const summary: Record<string, number> = {}
  for (const problem of problems) {
    const key = problem.replace(/: \[([a-z-]+)\] .*$/s, ' [$1]')
    summary[key] = (summary[key] ?? 0) + 1
  }
  return summary
}

/** What is wrong with one answer: a 5xx, no answer, a write from a refused request, a leaked file. */
function problemsOf(request: HostileRequest, answer: RawAnswer, written: readonly string[]): string[] {
  const problems: string[] = []
  const { status } = answer
  if (answer.timedOut) problems.push('no answer within 5 s')
  // 503 is legitimate for overload (with Retry-After), and is what /readyz says while a projection catches up.
  const isReadiness = request.target.startsWith('/readyz')
  if (status !== null && status >= 500 && !(status === 503 && (answer.headers.has('retry-after') || isReadiness))) {
    problems.push(`answered ${status}${status === 503 ? ' without Retry-After' : ''}`)
  }
  const refused = status === null || (status >= 400 && status < 500)
  const own = written.filter((type) => !BACKGROUND.has(type))
  if (refused && own.length > 0) problems.push(`answered ${status ?? 'nothing'} but wrote ${own.join(', ')}`)
  if (request.kind === 'traversal' && status === 200 && LEAKED.test(answer.body)) {
    problems.push('served a file from outside the public assets')
  }
  return problems.map((problem) => `${problem}: ${describeRequest(request)}`)
}

async function inParallel<T>(items: readonly T[], width: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await run(items[next++] as T)
  }
  await Promise.all(Array.from({ length: width }, worker))
}

export interface CampaignOptions {
  readonly seed: number
  readonly requests: number
  /** Generated and sent this many at a time, so a long campaign holds one batch in memory. @default 1000 */
  readonly batch?: number
  /** Requests that cannot write, sent at once. @default 24 */
  readonly width?: number
  /** Called after each batch with how many were sent so far. */
  readonly onProgress?: (sent: number) => void
}

export interface CampaignResult {
  readonly problems: readonly string[]
  /** Kinds at least one request of which got an answer. */
  readonly answeredKinds: ReadonlySet<string>
  /** Answers by kind and status (`closed` for a connection closed without one), e.g. `{ huge-body: { 413: 40 } }`. */
  readonly statuses: Readonly<Record<string, Record<string, number>>>
  readonly rssBeforeBytes: number
  readonly rssAfterBytes: number
}

/**
 * Sends `requests` generated from `seed`. Requests that may write go one at a time, so whatever
 * is committed meanwhile is theirs; the rest (GET, HEAD, bodies that cannot be accepted) go many
 * at a time (a dashboard page waits for its next refresh, up to a second) and only their total is
 * checked: it must be nothing. A session stored meanwhile must be one whose cookie an answer
 * below 400 handed over: a refused request stores none.
 */
export async function runCampaign(
  server: HostileServer,
  known: Known,
  options: CampaignOptions,
): Promise<CampaignResult> {
  const { seed, requests, batch = 1_000, width = 24, onProgress } = options
  const generator = new RequestGenerator(server.routes, known, seed)
  const problems: string[] = []
  const answeredKinds = new Set<string>()
  const statuses: Record<string, Record<string, number>> = {}
  const healthz = encodeRequest(get('/healthz'), server.host)
  let answered = 0
  const check = async (request: HostileRequest, written: () => readonly string[], answer: RawAnswer) => {
    problems.push(...problemsOf(request, answer, written()))
    if (answer.status !== null) answeredKinds.add(request.kind)
    const byStatus = statuses[request.kind] ?? {}
    statuses[request.kind] = byStatus
    const status = String(answer.status ?? 'closed')
    byStatus[status] = (byStatus[status] ?? 0) + 1
    if (++answered % 500 === 0 && (await sendRaw(server.port, healthz)).status !== 200) {
      problems.push(`/healthz failed after ${answered} requests`)
    }
  }
  const send = (request: HostileRequest) =>
    sendRaw(server.port, deliveryOf(request, server.host), {
      readBodyBytes: request.kind === 'traversal' ? 64 * 1024 : 0,
    })
  const cannotWrite = (request: HostileRequest) => SAFE_METHODS.has(request.method) || NEVER_WRITES.has(request.kind)

  const rssBeforeBytes = await metric(server, 'process_resident_memory_bytes')
  // Only a request answered below 400 may store a session: the one its answer's cookie hands over.
  // The visitor's own session is stored by its commands, and may reach the disk after a batch began.
  const accepted = new Set([sessionHashIn(known.cookie)].filter((hash) => hash !== null))
  const keepCookie = (answer: RawAnswer) => {
    const hash =
      answer.status !== null && answer.status < 400 ? sessionHashIn(answer.headers.get('set-cookie') ?? '') : null
    if (hash) accepted.add(hash)
  }
  for (let sent = 0; sent < requests; sent += batch) {
    const generated = generator.generate(Math.min(batch, requests - sent))
    const sessionsBefore = sessionRows(server)
    for (const request of generated.filter((r) => !cannotWrite(r))) {
      const before = headPosition(server)
      const answer = await send(request)
      keepCookie(answer)
      await check(request, () => (headPosition(server) > before ? typesAfter(server, before) : []), answer)
    }
    const before = headPosition(server)
    await inParallel(generated.filter(cannotWrite), width, async (request) => {
      const answer = await send(request)
      keepCookie(answer)
      await check(request, () => [], answer)
    })
    const wrote = typesAfter(server, before).filter((type) => !BACKGROUND.has(type))
    if (wrote.length > 0) problems.push(`requests that cannot write wrote ${wrote.join(', ')}`)
    await Bun.sleep(SESSION_FLUSH_MS)
    const refusedSessions = [...sessionRows(server)].filter((hash) => !sessionsBefore.has(hash) && !accepted.has(hash))
    if (refusedSessions.length > 0) {
      problems.push(`stored ${refusedSessions.length} sessions that no answer below 400 handed over`)
    }
    onProgress?.(sent + generated.length)
  }
  const rssAfterBytes = await metric(server, 'process_resident_memory_bytes')
  return { problems, answeredKinds, statuses, rssBeforeBytes, rssAfterBytes }
}

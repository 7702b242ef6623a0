import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { SKIPPED_METRIC } from '../../src/core/analytics/refused-events.ts'
import { assertValidText } from '../../src/core/web/http/valid-text.ts'
import { sqliteEnv } from '../fixtures/process.ts'
import { type HostileRequest, KINDS, type Known, RequestGenerator, type Route } from './hostile-requests.ts'
import { describeRequest, encodeRequest } from './hostile-wire.ts'
import { type RawAnswer, sendRaw } from './raw-http.ts'

const SEED = 0x1c0ffee
const REQUESTS = 3_000
/** Generous: a leak of tens of kilobytes per request would still pass it. */
const MAX_RSS_GROWTH_BYTES = 256 * 1024 * 1024
/** What a file outside the public assets would show if a traversal reached it. */
const LEAKED = /SQLite format 3|"name": "ironstar"|startServer|root:x:0:0/
const SAFE_METHODS = new Set(['GET', 'HEAD'])
// Outcomes the query runner writes in the background for a query accepted earlier.
const BACKGROUND = new Set(['QueryCompleted', 'QueryFailed', 'QueryCancelled'])

let dir: string
let child: Subprocess<'ignore', 'pipe', 'pipe'>
let stderr: Promise<string>
let origin: string
let host: string
let port: number
let routes: Route[]
let known: Known
let events: Database

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ironstar-hostile-'))
  child = Bun.spawn([process.execPath, join(import.meta.dir, 'hostile-server.ts')], {
    env: { ...sqliteEnv(), DATA_DIR: dir, IRONSTAR_ENV: 'test' },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  stderr = new Response(child.stderr).text()
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader()
  let first = ''
  while (!first.includes('\n')) {
    const { done, value } = await reader.read()
    if (done) throw new Error(`The server exited before it listened: ${await stderr}`)
    first += value
  }
  // Keep reading whatever else it prints, so a full pipe never stalls it.
  void (async () => {
    while (!(await reader.read()).done) {}
  })()
  const started = JSON.parse(first) as { url: string; routes: Route[] }
  const url = new URL(started.url)
  ;[origin, host, port] = [url.origin, url.host, Number(url.port)]
  // The shell's, the ops and the assets routes sit beside the slices'.
  routes = [
    ...started.routes,
    { path: '/theme', methods: ['POST'] },
    { path: '/healthz', methods: ['GET'] },
    { path: '/readyz', methods: ['GET'] },
    { path: '/metrics', methods: ['GET'] },
    { path: '/assets/*', methods: ['GET'] },
    { path: '/no/such/page', methods: ['GET', 'POST'] },
  ]
  events = new Database(join(dir, 'ironstar.sqlite'), { readonly: true })
  known = await visitAsABrowserWould()
}, 30_000)

afterAll(async () => {
  events?.close()
  child?.kill()
  await child?.exited
  rmSync(dir, { recursive: true, force: true })
})

const head = () => (events.query('SELECT max(global_position) AS n FROM events').get() as { n: number | null }).n ?? 0
const typesAfter = (position: number) =>
  (
    events.query('SELECT event_type AS type FROM events WHERE global_position > ?').all(position) as { type: string }[]
  ).map((row) => row.type)

/** Events whose payload holds text a reader downstream could not take: the boundary let it through. */
function storedInvalidText(): string[] {
  const rows = events.query('SELECT global_position AS position, payload FROM events').all() as {
    position: number
    payload: string
  }[]
  return rows.flatMap(({ position, payload }) => {
    try {
      assertValidText(JSON.parse(payload))
      return []
    } catch (error) {
      return [`event ${position}: ${(error as Error).message}`]
    }
  })
}

async function readyWithin(ms: number): Promise<number | null> {
  const deadline = performance.now() + ms
  for (;;) {
    const { status } = await sendRaw(port, encodeRequest(get('/readyz'), host))
    if (status === 200 || performance.now() > deadline) return status
    await Bun.sleep(50)
  }
}

/** A session with two todos and a query, so generated requests can name ids that exist. */
async function visitAsABrowserWould(): Promise<Known> {
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
    events.query("SELECT payload ->> '$.id' AS id FROM events WHERE event_type = 'TodoAdded'").all() as { id: string }[]
  ).map((row) => row.id)
  return { host, cookie, ids: [...todoIds, queryId, 'ship', 'model'] }
}

/** Problems counted by what went wrong and the kind of request, e.g. `answered 500 [host]`. */
function summarise(problems: readonly string[]): Record<string, number> {
  const summary: Record<string, number> = {}
  for (const problem of problems) {
    const key = problem.replace(/: \[([a-z-]+)\] .*$/s, ' [$1]')
    summary[key] = (summary[key] ?? 0) + 1
  }
  return summary
}

async function inParallel<T>(items: readonly T[], width: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await run(items[next++] as T)
  }
  await Promise.all(Array.from({ length: width }, worker))
}

const get = (target: string, headers: [string, string][] = []): HostileRequest => ({
  kind: 'valid',
  method: 'GET',
  target,
  headers,
  body: new Uint8Array(0),
  version: '1.1',
})

async function metric(name: string): Promise<number> {
  const answer = await sendRaw(port, encodeRequest(get('/metrics'), host), { readBodyBytes: 1 << 20 })
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(answer.body)?.[1])
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

describe('hostile input across every route', () => {
  it('refuses the reported shapes outright and writes nothing', async () => {
    const before = head()
    const post = (path: string, body: string, type = 'application/json') =>
      fetch(origin + path, {
        method: 'POST',
        body,
        redirect: 'manual',
        headers: { Cookie: known.cookie, 'Content-Type': type },
      })
    expect((await post('/todos', '{"text":"\\ud800"}')).status).toBe(422)
    expect((await post('/todos', 'text=&'.repeat(10_000), 'application/x-www-form-urlencoded')).status).toBe(413)
    for (const to of ['""', 'null', 'true']) {
      expect((await post('/sortable/ship/move', `{"to":${to}}`)).status).toBe(422)
    }
    expect(typesAfter(before).filter((type) => !BACKGROUND.has(type))).toEqual([])
  })

  it(`answers ${REQUESTS} generated requests without a 5xx, a write from refused input, or a leak`, async () => {
    expect(routes.length).toBeGreaterThan(20)
    const requests = new RequestGenerator(routes, known, SEED).generate(REQUESTS)
    const rssBefore = await metric('process_resident_memory_bytes')
    const problems: string[] = []
    const kinds = new Set<string>()
    let answered = 0
    const check = async (request: HostileRequest, written: () => readonly string[], answer: RawAnswer) => {
      problems.push(...problemsOf(request, answer, written()))
      if (answer.status !== null) kinds.add(request.kind)
      if (++answered % 500 === 0 && (await sendRaw(port, encodeRequest(get('/healthz'), host))).status !== 200) {
        problems.push(`/healthz failed after ${answered} requests`)
      }
    }
    const send = (request: HostileRequest) =>
      sendRaw(port, encodeRequest(request, host), { readBodyBytes: request.kind === 'traversal' ? 64 * 1024 : 0 })

    // Requests that may write go one at a time, so whatever is committed meanwhile is theirs.
    for (const request of requests.filter((r) => !SAFE_METHODS.has(r.method))) {
      const before = head()
      const answer = await send(request)
      await check(request, () => (head() > before ? typesAfter(before) : []), answer)
    }
    // GET and HEAD write nothing, refused or not, so they go many at a time (a dashboard page
    // waits for its next refresh, up to a second) and only the total is checked.
    const beforeReads = head()
    await inParallel(
      requests.filter((r) => SAFE_METHODS.has(r.method)),
      16,
      async (request) => check(request, () => [], await send(request)),
    )
    const readsWrote = typesAfter(beforeReads).filter((type) => !BACKGROUND.has(type))
    if (readsWrote.length > 0) problems.push(`GET and HEAD requests wrote ${readsWrote.join(', ')}`)
    const rssGrowth = (await metric('process_resident_memory_bytes')) - rssBefore

    expect(child.exitCode).toBeNull()
    expect((await sendRaw(port, encodeRequest(get('/healthz'), host))).status).toBe(200)
    expect({ summary: summarise(problems), first: problems.slice(0, 40) }).toEqual({ summary: {}, first: [] })
    expect(rssGrowth).toBeLessThan(MAX_RSS_GROWTH_BYTES)
    expect([...kinds].sort()).toEqual([...KINDS].sort())
    // What the store accepted, every projection takes: no text DuckDB refuses, nothing skipped.
    expect(storedInvalidText()).toEqual([])
    expect(await readyWithin(5_000)).toBe(200)
    expect(await metric(SKIPPED_METRIC)).toBe(0)
  }, 60_000)

  it('leaves no feed open once every client has gone, and every feed opens again', async () => {
    const deadline = performance.now() + 3_000
    while ((await metric('ironstar_sse_connections')) > 0 && performance.now() < deadline) await Bun.sleep(50)
    expect(await metric('ironstar_sse_connections')).toBe(0)
    for (const route of routes.filter((r) => r.path.endsWith('/feed'))) {
      const answer = await sendRaw(port, encodeRequest(get(route.path, [['Cookie', known.cookie]]), host))
      expect({ feed: route.path, status: answer.status }).toEqual({ feed: route.path, status: 200 })
    }
  })
})

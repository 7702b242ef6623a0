import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { SseConnection } from '../src/core/testing/sse-client.ts'
import { type Cluster, cookieOf, counterValue, type Node, startCluster } from './fixtures/nodes.ts'
import { pgUrl } from './fixtures/postgres.ts'
import { createPostgresDatabase, type PostgresDatabase } from './fixtures/postgres-database.ts'

// Three real Ironstar processes on loopback sharing one PostgreSQL database, as behind a load
// balancer without sticky sessions. Skipped (with the one line postgres.ts prints) without one.

const readyz = async (node: Node) =>
  (await (await node.get('/readyz')).json()) as { position: number; projections: Record<string, number> }

/** Waits until every node's projections have read the whole log, and returns the head. */
async function settled(nodes: readonly Node[], timeoutMs = 5_000): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const states = await Promise.all(nodes.map(readyz))
    const head = states[0]?.position ?? 0
    const caughtUp = states.every((s) => s.position === head && Object.values(s.projections).every((p) => p === head))
    if (caughtUp) return head
    if (Date.now() > deadline) throw new Error(`Nodes did not settle: ${JSON.stringify(states)}`)
    await Bun.sleep(50)
  }
}

describe.skipIf(!pgUrl)('three nodes on one PostgreSQL', () => {
  let database: PostgresDatabase
  let cluster: Cluster
  let a: Node
  let b: Node
  let c: Node

  beforeAll(async () => {
    database = await createPostgresDatabase()
    cluster = await startCluster(database.url, 3)
    ;[a, b, c] = cluster.nodes as [Node, Node, Node]
  }, 30_000)

  afterAll(async () => {
    await cluster?.stop()
    await database?.close()
  }, 30_000)

  it('delivers a command sent to node A to an SSE client on node C within a second', async () => {
    const feed = await SseConnection.open(new URL('/counter/feed', c.url))
    const before = await counterValue(await c.get('/counter'), 'counter-global')
    await openingOf(feed)
    const sent = performance.now()
    expect((await a.post('/counter/global/increment')).status).toBe(303)
    const patch = await feed.next(1_000)
    const elapsed = performance.now() - sent
    feed.close()
    expect(patch?.data).toContain(`<output>${before + 1}</output>`)
    expect(elapsed).toBeLessThan(1_000)
  }, 10_000)

  it('accepts a session cookie made on node A on node B, as the same session', async () => {
    const made = await a.post('/counter/session/increment')
    expect(made.status).toBe(303)
    const cookie = cookieOf(made)
    // A waited for its own projection; B applies the event a moment later (read-your-writes is per node).
    await settled([a, b])
    const onB = await b.get('/counter', cookie)
    expect(onB.headers.get('set-cookie')).toBeNull()
    expect(await counterValue(onB, 'counter-session')).toBe(1)
    // And a write on B lands in the same session, seen back on A.
    expect((await b.post('/counter/session/increment', cookie)).status).toBe(303)
    await settled([a, b])
    expect(await counterValue(await a.get('/counter', cookie), 'counter-session')).toBe(2)
  }, 10_000)

  it('resumes a feed on another node from its Last-Event-ID without a gap', async () => {
    const first = await SseConnection.open(new URL('/counter/feed', a.url))
    const opened = await openingOf(first)
    expect((await b.post('/counter/global/increment')).status).toBe(303)
    const seen = await first.next(1_000)
    first.close()
    const lastId = seen?.id ?? ''
    expect(Number(lastId)).toBeGreaterThan(Number(opened?.id ?? 0))
    const valueSeen = Number(/<output>([\d,]+)<\/output>/.exec(seen?.data ?? '')?.[1]?.replaceAll(',', ''))

    // Disconnected: three more commands, on two other nodes.
    for (const node of [b, c, b]) expect((await node.post('/counter/global/increment')).status).toBe(303)
    const head = await settled([a, b, c])

    const resumed = await SseConnection.open(new URL('/counter/feed', c.url), { headers: { 'Last-Event-ID': lastId } })
    const catchUp = await resumed.next(1_000)
    resumed.close()
    expect(catchUp?.id).toBe(String(head))
    expect(catchUp?.data).toContain(`<output>${valueSeen + 3}</output>`)

    // Resuming at the head sends nothing: the catch-up above was the gap, not a blind resend.
    const current = await SseConnection.open(new URL('/counter/feed', b.url), {
      headers: { 'Last-Event-ID': String(head) },
    })
    expect(await current.next(300)).toBeNull()
    current.close()
  }, 10_000)

  it('loses no acknowledged command when node B is killed under load, and the survivors agree', async () => {
    const WORKERS = 12
    const acked = new Array<number>(WORKERS).fill(0)
    const unsure = new Array<number>(WORKERS).fill(0)
    const cookies: string[] = []
    for (let w = 0; w < WORKERS; w++) cookies.push(cookieOf(await a.post('/counter/session/increment')))
    acked.fill(1)
    let stopping = false
    let bAlive = true
    const worker = async (w: number) => {
      for (let i = w; !stopping; i++) {
        // Round robin over the nodes, B left out once it died (what a load balancer's health check does).
        const live = bAlive ? [a, b, c] : [a, c]
        const node = live[i % live.length] as Node
        try {
          const response = await node.post('/counter/session/increment', cookies[w])
          if (response.status === 303) acked[w] = (acked[w] ?? 0) + 1
          else unsure[w] = (unsure[w] ?? 0) + 1
        } catch {
          unsure[w] = (unsure[w] ?? 0) + 1 // the connection died with B: committed or not, never acknowledged
        }
      }
    }
    const load = Array.from({ length: WORKERS }, (_, w) => worker(w))
    await Bun.sleep(400)
    b.child.kill('SIGKILL')
    await b.child.exited
    bAlive = false
    await Bun.sleep(400)
    stopping = true
    await Promise.all(load)

    await settled([a, c])
    const total = acked.reduce((sum, n) => sum + n, 0)
    expect(total).toBeGreaterThan(WORKERS * 5) // the load really ran, on both sides of the kill
    for (let w = 0; w < WORKERS; w++) {
      const onA = await counterValue(await a.get('/counter', cookies[w]), 'counter-session')
      const onC = await counterValue(await c.get('/counter', cookies[w]), 'counter-session')
      expect(onC).toBe(onA)
      expect(onA).toBeGreaterThanOrEqual(acked[w] ?? 0)
      expect(onA).toBeLessThanOrEqual((acked[w] ?? 0) + (unsure[w] ?? 0))
    }
    expect(await readyz(c)).toEqual(await readyz(a))
  }, 20_000)
})

/** The counter feed opens with one patch per fragment (the shared card, then the visitor's); the last carries the id. */
async function openingOf(feed: SseConnection) {
  expect((await feed.next())?.data).toContain('elements <article id="counter-global"')
  const own = await feed.next()
  expect(own?.data).toContain('elements <article id="counter-session"')
  return own
}

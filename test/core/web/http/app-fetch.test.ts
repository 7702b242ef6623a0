import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { startTestServer, type TestServer } from './test-slice.ts'

// The whole pipeline without a port: what a served request gets, a Request passed to fetch gets.
let t: TestServer
beforeAll(async () => {
  t = await startTestServer({}, { listen: false })
})
afterAll(() => t.stop())

const request = (path: string, init?: RequestInit) => t.server.fetch(new Request(new URL(path, t.url), init))

describe('app.fetch without a port', () => {
  it('answers as http://localhost, filling in the Host a built Request lacks', async () => {
    expect(t.url.href).toBe('http://localhost/')
    const response = await request('/notes')
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('<h1>Notes</h1>')
  })

  it('still refuses another host (421) and a cross-site post (403)', async () => {
    const elsewhere = await request('/notes', { headers: { Host: 'attacker.example' } })
    expect(elsewhere.status).toBe(421)
    const crossSite = await request('/notes', {
      method: 'POST',
      body: 'text=hi',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://attacker.example' },
    })
    expect(crossSite.status).toBe(403)
    expect(await t.headPosition()).toBe(0)
  })

  it('matches parameter routes, 404s unknown paths and 405s wrong methods with Allow', async () => {
    expect(await (await request('/probe/items/abc-1')).json()).toEqual({ id: 'abc-1' })
    expect(await (await request('/probe/items/a%2Db')).json()).toEqual({ id: 'a-b' })
    const missing = await request('/probe/items/abc-1/more')
    expect(missing.status).toBe(404)
    expect(await missing.text()).toContain('<h1>Page not found</h1>')
    const wrong = await request('/notes', { method: 'DELETE' })
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('GET, POST, HEAD')
  })

  it('serves assets and ops through the same route table: file policy, 405 with Allow', async () => {
    const health = await request('/healthz')
    expect(await health.json()).toEqual({ status: 'ok', position: 0 })
    expect(health.headers.get('content-security-policy')).toContain('sandbox')
    const post = await request('/assets/app.css', { method: 'POST', headers: { Origin: 'http://localhost' } })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    expect(post.headers.get('content-security-policy')).not.toContain('sandbox') // an error page is a page
  })

  it('answers HEAD with the GET headers and no body', async () => {
    const response = await request('/notes', { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-frame-options')).toBe('DENY')
    expect(await response.text()).toBe('')
  })

  it('runs a command, sets the session cookie lazily, and logs one line per request with the route', async () => {
    expect((await request('/notes')).headers.get('set-cookie')).toBeNull()
    const before = t.logs.length
    const response = await request('/notes', {
      method: 'POST',
      body: 'text=hello',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost' },
      redirect: 'manual',
    })
    expect(response.status).toBe(303)
    expect(t.logs.length).toBe(before + 1)
    expect(t.logs.at(-1)).toMatchObject({ method: 'POST', path: '/notes', route: '/notes', status: 303 })
    const session = await request('/probe/session', { method: 'POST', headers: { Origin: 'http://localhost' } })
    expect(session.headers.get('set-cookie')).toMatch(/^session=/)
    expect(await (await request('/notes')).text()).toContain('hello')
  })

  it('counts requests by route pattern in /metrics', async () => {
    await request('/probe/items/abc-2')
    const metrics = await (await request('/metrics')).text()
    expect(metrics).toMatch(/ironstar_http_requests_total\{method="GET",route="\/probe\/items\/:id",status="200"\} \d+/)
  })

  it.each([
    ['validation', 400],
    ['too-large', 413],
    ['not-found', 404],
    ['rule', 409],
    ['conflict', 409],
    ['overloaded', 503],
    ['http', 415],
  ])('answers a thrown %s error with %d from the one error table, without an error id', async (kind, status) => {
    const response = await request(`/probe/throw/${kind}`)
    expect(response.status).toBe(status)
    expect(response.headers.get('retry-after')).toBe(status === 503 ? '1' : null)
    expect(await response.text()).not.toContain('Error id')
    expect(t.logs.at(-1)).toMatchObject({ route: '/probe/throw/:kind', status })
    expect(t.logs.at(-1)?.errorId).toBeUndefined()
  })

  it.each(['unexpected', 'plain'])('answers a thrown %s error with a 500 and a logged error id', async (kind) => {
    const response = await request(`/probe/throw/${kind}`)
    expect(response.status).toBe(500)
    const errorId = /Error id <code>([0-9a-f-]{36})<\/code>/.exec(await response.text())?.[1]
    expect(errorId).toBeDefined()
    expect(t.logs.at(-1)).toMatchObject({ status: 500, errorId })
  })
})

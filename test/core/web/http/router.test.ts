import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { isDatastarVendored } from '../../../../src/core/web/datastar-pin.ts'
import { contentSecurityPolicy } from '../../../../src/core/web/http/security-headers.ts'
import { startTestServer, type TestServer } from './test-slice.ts'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(() => t.stop())

describe('routing', () => {
  it('answers an unknown path with a styled 404 page', async () => {
    const response = await fetch(new URL('/no/such/page', t.url))
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toStartWith('text/html')
    const body = await response.text()
    expect(body).toContain('<h1>Page not found</h1>')
    expect(body).toContain('<link rel="stylesheet"')
  })

  it('answers a wrong method with 405 and an Allow header', async () => {
    const response = await fetch(new URL('/notes', t.url), { method: 'DELETE' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, POST, HEAD')
    expect(await response.text()).toContain('Method not allowed')
  })

  it('serves HEAD for a GET route without a body', async () => {
    const response = await fetch(new URL('/notes', t.url), { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('')
  })

  it('passes route parameters to the handler', async () => {
    const response = await fetch(new URL('/probe/items/abc-1', t.url))
    expect(await response.json()).toEqual({ id: 'abc-1' })
  })

  it('answers route parameters that fail their schema with 404', async () => {
    const response = await fetch(new URL('/probe/items/NOT_VALID', t.url))
    expect(response.status).toBe(404)
  })

  it('parses the query with zod: valid values are coerced, invalid ones get 400 with a message', async () => {
    expect(await (await fetch(new URL('/probe/query?page=3', t.url))).json()).toEqual({ page: 3 })
    const response = await fetch(new URL('/probe/query?page=-1', t.url))
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('Cannot read query: page:')
  })

  it('adds security headers even to a response with immutable headers (Response.redirect)', async () => {
    const response = await fetch(new URL('/probe/redirect', t.url), { redirect: 'manual' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toEndWith('/notes')
    expect(response.headers.get('x-frame-options')).toBe('DENY')
  })

  it('builds the header navigation from the slices', async () => {
    const body = await (await fetch(new URL('/notes', t.url))).text()
    expect(body).toMatch(/<a href="\/notes" aria-current="page">.*<span>Notes<\/span><\/a>/)
  })

  it('keeps /healthz answering status and position', async () => {
    const response = await fetch(new URL('/healthz', t.url))
    expect(await response.json()).toEqual({ status: 'ok', position: await t.headPosition() })
  })
})

describe('unexpected errors', () => {
  it('shows a styled 500 with an error id, logs it, and never leaks the stack', async () => {
    const response = await fetch(new URL('/probe/boom', t.url))
    expect(response.status).toBe(500)
    const body = await response.text()
    const errorId = /Error id <code>([0-9a-f-]{36})<\/code>/.exec(body)?.[1]
    expect(errorId).toBeDefined()
    expect(body).not.toContain('/etc/secret')
    expect(body).not.toContain('at ')
    expect(t.logs.at(-1)).toMatchObject({ method: 'GET', path: '/probe/boom', status: 500, errorId })
  })

  it('answers a Datastar command that fails with a toast patch carrying the error id', async () => {
    const response = await fetch(new URL('/probe/boom', t.url), {
      method: 'POST',
      headers: { 'Datastar-Request': 'true' },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('datastar-selector')).toBe('#toasts')
    expect(response.headers.get('datastar-mode')).toBe('append')
    const body = await response.text()
    expect(body).toMatch(/^<div class="toast toast--danger" role="alert">/)
    expect(body).not.toContain('/etc/secret')
    expect(t.logs.at(-1)).toMatchObject({ status: 500, errorId: expect.any(String) })
  })
})

describe('request log', () => {
  it('writes one structured line per request', async () => {
    const before = t.logs.length
    await fetch(new URL('/notes?x=1', t.url))
    expect(t.logs.length).toBe(before + 1)
    const line = t.logs.at(-1)
    expect(line).toMatchObject({ method: 'GET', path: '/notes', status: 200 })
    expect(line?.durationMs).toBeGreaterThanOrEqual(0)
    expect(line?.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(line?.errorId).toBeUndefined()
  })
})

describe('security headers', () => {
  it('sets CSP, nosniff, Referrer-Policy and frame protection on pages and errors', async () => {
    for (const path of ['/notes', '/missing']) {
      const response = await fetch(new URL(path, t.url))
      const csp = response.headers.get('content-security-policy') ?? ''
      expect(csp).toBe(contentSecurityPolicy({ isDatastarVendored: isDatastarVendored() }))
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("'unsafe-eval'")
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
      expect(response.headers.get('x-frame-options')).toBe('DENY')
    }
  })

  it('allows the pinned CDN file only when the client is not vendored', () => {
    const cdn = 'https://cdn.jsdelivr.net/gh/starfederation/datastar@1.0.4/bundles/datastar.js'
    expect(contentSecurityPolicy({ isDatastarVendored: false })).toContain(`script-src 'self' ${cdn} 'unsafe-eval'`)
    expect(contentSecurityPolicy({ isDatastarVendored: true })).not.toContain('cdn.')
  })

  it('loads the Datastar client from the app when vendored, else from the pinned URL with SRI', async () => {
    const body = await (await fetch(new URL('/notes', t.url))).text()
    if (isDatastarVendored()) expect(body).toContain('<script type="module" src="/assets/vendor/datastar.js"></script>')
    else expect(body).toContain('integrity="sha384-twbOvafhSBQ0rJDNPzJdUw6DRvthVgAVfSIG1BQVmCiNO7Qh2zeVn7T5qstgjJ9q"')
  })
})

describe('theme toggle', () => {
  it('stores the choice in a cookie and redirects back to a local path only', async () => {
    const post = (body: string) =>
      fetch(new URL('/theme', t.url), {
        method: 'POST',
        body,
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      })
    const response = await post('theme=dark&return=%2Fnotes')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/notes')
    expect(response.headers.get('set-cookie')).toStartWith('theme=dark;')
    expect((await post('theme=dark&return=%2F%2Fevil.example')).headers.get('location')).toBe('/')
    expect((await post('theme=purple')).status).toBe(400)
    const page = await (await fetch(new URL('/notes', t.url), { headers: { Cookie: 'theme=dark' } })).text()
    expect(page).toContain('<html lang="en" data-theme="dark">')
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { isDatastarVendored } from '../../../../src/core/web/datastar-pin.ts'
import { contentSecurityPolicy, FILE_POLICY } from '../../../../src/core/web/http/security-headers.ts'
import { startTestServer, type TestServer } from './test-slice.ts'

const PAGE_POLICY = contentSecurityPolicy({ isDatastarVendored: isDatastarVendored() })

interface RouteClass {
  readonly name: string
  readonly path: string
  readonly init?: RequestInit
  readonly status: number
  readonly policy: string
}

/** One request of every kind the server answers: what the slices render, what the shell makes, files and ops. */
const ROUTE_CLASSES: readonly RouteClass[] = [
  { name: 'a page', path: '/notes', status: 200, policy: PAGE_POLICY },
  { name: 'a HEAD of a page', path: '/notes', init: { method: 'HEAD' }, status: 200, policy: PAGE_POLICY },
  { name: 'the 404 page', path: '/no/such/page', status: 404, policy: PAGE_POLICY },
  { name: 'a 405', path: '/notes', init: { method: 'DELETE' }, status: 405, policy: PAGE_POLICY },
  { name: 'a redirect with immutable headers', path: '/probe/redirect', status: 303, policy: PAGE_POLICY },
  { name: 'an error page', path: '/probe/boom', status: 500, policy: PAGE_POLICY },
  {
    name: 'a command',
    path: '/notes',
    init: { method: 'POST', body: 'text=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
    status: 303,
    policy: PAGE_POLICY,
  },
  { name: 'an asset', path: '/assets/favicon.svg', status: 200, policy: FILE_POLICY },
  {
    name: 'a HEAD of an asset',
    path: '/assets/favicon.svg',
    init: { method: 'HEAD' },
    status: 200,
    policy: FILE_POLICY,
  },
  { name: 'a missing asset', path: '/assets/no-such-file.css', status: 404, policy: FILE_POLICY },
  { name: 'an asset POST', path: '/assets/favicon.svg', init: { method: 'POST' }, status: 405, policy: PAGE_POLICY },
  { name: '/healthz', path: '/healthz', status: 200, policy: FILE_POLICY },
  { name: '/readyz', path: '/readyz', status: 200, policy: FILE_POLICY },
  { name: '/metrics', path: '/metrics', status: 200, policy: FILE_POLICY },
  {
    name: 'a wrong Host',
    path: '/healthz',
    init: { headers: { Host: 'elsewhere.example' } },
    status: 421,
    policy: PAGE_POLICY,
  },
]

function expectSecurityHeaders(response: Response, policy: string): void {
  expect(response.headers.get('content-security-policy')).toBe(policy)
  expect(response.headers.get('x-content-type-options')).toBe('nosniff')
  expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
  expect(response.headers.get('x-frame-options')).toBe('DENY')
  expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin')
  expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin')
}

describe('security headers in development and test', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer()
  })
  afterAll(() => t.stop())

  for (const route of ROUTE_CLASSES) {
    it(`are on ${route.name} (${route.init?.method ?? 'GET'} ${route.path})`, async () => {
      const response = await fetch(new URL(route.path, t.url), { redirect: 'manual', ...route.init })
      expect(response.status).toBe(route.status)
      expectSecurityHeaders(response, route.policy)
      expect(response.headers.get('strict-transport-security')).toBeNull() // plain HTTP: HSTS would be ignored
    })
  }
})

describe('security headers in production over HTTPS', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer({ IRONSTAR_ENV: 'production', PUBLIC_ORIGIN: 'https://app.example.com' })
  })
  afterAll(() => t.stop())

  it('add HSTS to pages, files and ops alike', async () => {
    for (const path of ['/notes', '/assets/favicon.svg', '/healthz', '/missing']) {
      const response = await fetch(new URL(path, t.url))
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000')
    }
  })
})

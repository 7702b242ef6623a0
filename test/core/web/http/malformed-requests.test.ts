import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../../src/config.ts'
import { startServer } from '../../../../src/server.ts'
import { type RawResponse, rawRequest } from '../../../fixtures/raw-http.ts'
import { makeNotesSlice, startTestServer, type TestServer } from './test-slice.ts'

/** What Bun's development error page shows, and what must never reach a client. */
function expectNoInternals(response: RawResponse): void {
  expect(response.body).not.toMatch(/\bat .*\.ts:\d+/)
  expect(response.body).not.toContain(process.cwd())
  expect(response.body).not.toContain('node_modules')
  expect(response.body).not.toContain('ERR_INVALID_URL')
}

function requestsCounted(metrics: string, status: number): number {
  const line = new RegExp(
    `^ironstar_http_requests_total\\{method="[A-Z]+",route="[^"]*",status="${status}"\\} (\\d+)$`,
    'gm',
  )
  return [...metrics.matchAll(line)].reduce((sum, match) => sum + Number(match[1]), 0)
}

describe('requests Bun cannot make a URL of, or addressed elsewhere, in production', () => {
  let t: TestServer
  let port: number
  beforeAll(async () => {
    t = await startTestServer({ IRONSTAR_ENV: 'production', PUBLIC_ORIGIN: 'https://app.example.com' })
    port = Number(t.url.port)
  })
  afterAll(() => t.stop())

  const close = 'Connection: close\r\n\r\n'
  const cases = [
    { name: 'an empty Host', request: () => `GET / HTTP/1.1\r\nHost:\r\n${close}`, status: 400 },
    { name: 'HTTP/1.0 without Host', request: () => 'GET /notes HTTP/1.0\r\n\r\n', status: 400 },
    { name: 'a Host with a space', request: () => `GET / HTTP/1.1\r\nHost: a b\r\n${close}`, status: 400 },
    { name: 'an unclosed IPv6 Host', request: () => `GET / HTTP/1.1\r\nHost: [::1\r\n${close}`, status: 400 },
    { name: 'a port out of range', request: () => `GET / HTTP/1.1\r\nHost: 127.0.0.1:99999\r\n${close}`, status: 400 },
    {
      name: 'CONNECT',
      request: () => `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n${close}`,
      status: 421,
    },
    {
      name: 'an absolute target at another host',
      request: () => `GET http://evil.example/notes HTTP/1.1\r\nHost: evil.example\r\n${close}`,
      status: 421,
    },
  ]

  for (const { name, request, status } of cases) {
    it(`answers ${name} with the app's own ${status} page, logged and counted`, async () => {
      const before = await (await fetch(new URL('/metrics', t.url))).text()
      const logged = t.logs.length
      const response = await rawRequest(port, request())
      expect(response.status).toBe(status)
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'")
      expect(response.body).toContain('<link rel="stylesheet"') // the layout, not Bun's page
      expectNoInternals(response)
      expect(t.logs.slice(logged).map((line) => line.status)).toContain(status)
      const after = await (await fetch(new URL('/metrics', t.url))).text()
      expect(requestsCounted(after, status)).toBe(requestsCounted(before, status) + 1)
    })
  }

  it('logs an absurdly long path cut short, and answers it with the 404 page', async () => {
    const path = `/${'a'.repeat(8_000)}`
    const response = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${close}`)
    expect(response.status).toBe(404)
    expect(t.logs.at(-1)?.path.length).toBeLessThanOrEqual(513)
  })

  it('leaves what Bun refuses before any JavaScript runs without a body', async () => {
    for (const request of [`GET notes HTTP/1.1\r\nHost: 127.0.0.1\r\n${close}`, `OPTIONS * HTTP/1.1\r\n${close}`]) {
      const response = await rawRequest(port, request)
      expect(response.status).toBe(400)
      expect(response.body).toBe('')
    }
  })
})

describe('a failure of the shell itself', () => {
  it('is answered by the error handler: a 500 with an error id, no stack, no path', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-http-'))
    const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, IRONSTAR_ENV: 'test' })
    const server = await startServer(config, {
      slices: [makeNotesSlice()],
      log: () => {
        throw new Error(`Cannot write the request log to ${dataDir}/requests.log`)
      },
    })
    try {
      const response = await rawRequest(
        Number(server.url.port),
        `GET /notes HTTP/1.1\r\nHost: 127.0.0.1:${server.url.port}\r\nConnection: close\r\n\r\n`,
      )
      expect(response.status).toBe(500)
      expect(response.body).toMatch(/Error id <code>[0-9a-f-]{36}<\/code>/)
      expect(response.body).not.toContain(dataDir)
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expectNoInternals(response)
    } finally {
      await server.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { startTestServer, type TestServer } from './test-slice.ts'

describe('a command the event store cannot take (closed for shutdown)', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer()
    await t.server.app.store.close() // what a command meets once shutdown has closed the store
  })
  afterAll(() => t.stop())

  const post = (headers: Record<string, string> = {}) =>
    fetch(new URL('/notes', t.url), {
      method: 'POST',
      body: 'text=late',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      redirect: 'manual',
    })

  it('is a 503 with Retry-After, without an error id: retrying is the answer, not a bug report', async () => {
    const response = await post()
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('1')
    const body = await response.text()
    expect(body).toContain('The server is busy: try again in a moment')
    expect(body).not.toContain('Error id')
    expect(t.logs.at(-1)).toMatchObject({ path: '/notes', status: 503 })
    expect(t.logs.at(-1)?.errorId).toBeUndefined()
  })

  it('is a toast with status 503 for Datastar', async () => {
    const response = await post({ 'Datastar-Request': 'true' })
    expect(response.headers.get('ironstar-status')).toBe('503')
    expect(response.headers.get('retry-after')).toBe('1')
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { startTestServer, type TestServer } from './test-slice.ts'

function cookieOf(response: Response): string {
  return response.headers.getSetCookie().find((cookie) => cookie.includes('session=')) ?? ''
}

function tokenOf(cookie: string): string {
  return /session=([^;]+)/.exec(cookie)?.[1] ?? ''
}

describe('session cookie in development', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer({ SESSION_MAX_AGE_DAYS: '7' })
  })
  afterAll(() => t.stop())

  it('sets a random 256-bit URL-safe token with HttpOnly, SameSite=Lax, Path=/ and Max-Age, without Secure', async () => {
    const cookie = cookieOf(await fetch(new URL('/probe/session', t.url)))
    expect(cookie).toMatch(/^session=[A-Za-z0-9_-]{43}; /)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
    expect(cookie).toContain('Path=/')
    expect(cookie).toContain(`Max-Age=${7 * 86_400}`)
    expect(cookie).not.toContain('Secure')
  })

  it('keeps a known session without re-sending the cookie', async () => {
    const first = await fetch(new URL('/probe/session', t.url))
    const token = tokenOf(cookieOf(first))
    const { id } = (await first.json()) as { id: string }
    const again = await fetch(new URL('/probe/session', t.url), { headers: { Cookie: `session=${token}` } })
    expect(((await again.json()) as { id: string }).id).toBe(id)
    expect(cookieOf(again)).toBe('')
  })

  it('never adopts an unknown token: a fresh one is issued', async () => {
    const forged = 'A'.repeat(43)
    const response = await fetch(new URL('/probe/session', t.url), { headers: { Cookie: `session=${forged}` } })
    const token = tokenOf(cookieOf(response))
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(token).not.toBe(forged)
  })

  it('does not create a session for a request that never uses one', async () => {
    const response = await fetch(new URL('/notes', t.url))
    expect(cookieOf(response)).toBe('')
  })

  it('rotates the token on request, keeping the session id, and the old token stops working', async () => {
    const first = await fetch(new URL('/probe/session', t.url))
    const oldToken = tokenOf(cookieOf(first))
    const rotated = await fetch(new URL('/probe/session', t.url), {
      method: 'POST',
      headers: { Cookie: `session=${oldToken}` },
    })
    const { before, after } = (await rotated.json()) as { before: string; after: string }
    expect(after).toBe(before)
    const newToken = tokenOf(cookieOf(rotated))
    expect(newToken).not.toBe(oldToken)
    const withOld = await fetch(new URL('/probe/session', t.url), { headers: { Cookie: `session=${oldToken}` } })
    expect(((await withOld.json()) as { id: string }).id).not.toBe(before)
    const withNew = await fetch(new URL('/probe/session', t.url), { headers: { Cookie: `session=${newToken}` } })
    expect(((await withNew.json()) as { id: string }).id).toBe(before)
  })
})

describe('session cookie in production', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer({ IRONSTAR_ENV: 'production', PUBLIC_ORIGIN: 'https://app.example.com' })
  })
  afterAll(() => t.stop())

  it('adds Secure and the __Host- prefix', async () => {
    const cookie = cookieOf(await fetch(new URL('/probe/session', t.url)))
    expect(cookie).toMatch(/^__Host-session=[A-Za-z0-9_-]{43}; /)
    expect(cookie).toContain('Secure')
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
    expect(cookie).toContain(`Max-Age=${30 * 86_400}`)
  })
})

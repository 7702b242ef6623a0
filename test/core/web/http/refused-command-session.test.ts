import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { startTestServer, type TestServer } from './test-slice.ts'

let t: TestServer
beforeAll(async () => {
  // The default rate limits: the session bucket is one more thing that uses a command's session.
  t = await startTestServer({}, { listen: false })
})
afterAll(() => t.stop())

/** A command from a client that sends no cookie. */
function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return t.server.fetch(
    new Request(new URL(path, 'http://localhost'), {
      method: 'POST',
      body,
      redirect: 'manual',
      headers: { Origin: 'http://localhost', 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    }),
  )
}

/** Rows in `sessions`, once the store's queue (written every 50 ms) has had time to reach the disk. */
async function storedSessions(): Promise<number> {
  await Bun.sleep(150)
  return (t.server.app.db.query('SELECT count(*) AS n FROM sessions').get() as { n: number }).n
}

const statusOf = (response: Response) => Number(response.headers.get('ironstar-status') ?? response.status)

describe('a command from a visitor without a session', () => {
  it('stores no session when it is refused: 422, 413, 404, 400, 503', async () => {
    const before = await storedSessions()
    const refused = [
      await post('/notes', 'text='),
      await post('/notes', 'text=', { 'Datastar-Request': 'true' }),
      await post('/notes', `text=${'a'.repeat(70_000)}`),
      await post('/probe/throw/not-found', ''),
      await post('/probe/throw/validation', ''),
      await post('/probe/throw/too-large', ''),
      await post('/probe/throw/overloaded', ''),
    ]
    expect(refused.map(statusOf)).toEqual([422, 422, 413, 404, 400, 413, 503])
    expect(await t.headPosition()).toBe(0)
    expect(await storedSessions()).toBe(before)
  })

  it('stores exactly one, and sets its cookie, when it succeeds (303)', async () => {
    const before = await storedSessions()
    const accepted = await post('/notes', 'text=hello')
    expect(accepted.status).toBe(303)
    const cookie = accepted.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^session=[A-Za-z0-9_-]{43}; /)
    expect(await storedSessions()).toBe(before + 1)

    // The cookie names the stored session: the next command stores nothing more.
    expect((await post('/notes', 'text=again', { Cookie: cookie.split(';')[0] ?? '' })).status).toBe(303)
    expect(await storedSessions()).toBe(before + 1)
  })
})

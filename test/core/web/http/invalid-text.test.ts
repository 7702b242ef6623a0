import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { readRawInput } from '../../../../src/core/web/http/body.ts'
import { HttpError } from '../../../../src/core/web/http/errors.ts'
import { startTestServer, type TestServer } from './test-slice.ts'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(() => t.stop())

const post = (body: string, contentType: string, headers: Record<string, string> = {}) =>
  fetch(new URL('/notes', t.url), {
    method: 'POST',
    body,
    redirect: 'manual',
    headers: { 'Content-Type': contentType, ...headers },
  })
const json = (body: string, headers?: Record<string, string>) => post(body, 'application/json', headers)
const form = (body: string) => post(body, 'application/x-www-form-urlencoded')

/** Sends `send`, expects a 422 that names the problem, and checks nothing was written. */
async function expectRefused(send: () => Promise<Response>, problem: string): Promise<void> {
  const before = await t.headPosition()
  const response = await send()
  expect(response.status).toBe(422)
  expect(await response.text()).toContain(problem)
  expect(await t.headPosition()).toBe(before)
}

describe('text that is not valid Unicode, or holds control characters', () => {
  it('is refused with 422 in a JSON body, whether a value, a nested value or a field name', async () => {
    await expectRefused(() => json('{"text":"\\ud800"}'), '&quot;text&quot; holds an unpaired surrogate')
    await expectRefused(() => json('{"text":"low \\udc00 first"}'), 'unpaired surrogate')
    await expectRefused(() => json('{"text":"ok","meta":{"tags":["fine","\\udbff"]}}'), '&quot;meta&quot; holds')
    await expectRefused(() => json('{"\\ud800":"x","text":"ok"}'), 'a field name holds an unpaired surrogate')
    await expectRefused(() => json('{"text":"nul \\u0000 inside"}'), 'a control character (U+0000)')
  })

  it('is refused in a form body and a multipart body', async () => {
    await expectRefused(() => form('text=a%00b'), 'a control character (U+0000)')
    await expectRefused(() => form('text=bell%07'), 'a control character (U+0007)')
    await expectRefused(
      () =>
        post(
          '--x\r\nContent-Disposition: form-data; name="text"\r\n\r\nesc\x1b[31m\r\n--x--\r\n',
          'multipart/form-data; boundary=x',
        ),
      'a control character (U+001B)',
    )
  })

  it('answers a Datastar request with the 422 in Ironstar-Status, writing nothing', async () => {
    const before = await t.headPosition()
    const response = await json('{"text":"\\ud800"}', { 'Datastar-Request': 'true' })
    expect(response.headers.get('ironstar-status')).toBe('422')
    expect(await response.text()).toContain('unpaired surrogate')
    expect(await t.headPosition()).toBe(before)
  })

  it('is refused in path parameters and query strings', async () => {
    const path = await fetch(new URL('/probe/items/ab%00c', t.url))
    expect(path.status).toBe(422)
    expect(await path.text()).toContain('Cannot accept path: &quot;id&quot; holds a control character (U+0000)')
    const query = await fetch(new URL('/probe/query?page=2&note=%1B', t.url))
    expect(query.status).toBe(422)
    expect(await query.text()).toContain('Cannot accept query: &quot;note&quot; holds a control character')
  })

  it('is refused in Datastar signals sent in the query string', async () => {
    const url = new URL(`http://x/?datastar=${encodeURIComponent('{"text":"\\ud800"}')}`)
    const refusal = await readRawInput(new Request(url), url, 1024).catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(HttpError)
    expect((refusal as HttpError).status).toBe(422)
  })

  it('lets tab, line feed, carriage return and every valid character through', async () => {
    const before = await t.headPosition()
    expect((await form('text=tab%09line%0Areturn%0D')).status).toBe(303)
    expect((await json(JSON.stringify({ text: 'emoji 😀 pair \ud83d\ude00, é, 中文, U+FFFD �' }))).status).toBe(303)
    expect(await t.headPosition()).toBe(before + 2)
  })

  it('walks a deeply nested body without overflowing the stack', async () => {
    const depth = 20_000
    const nested = (leaf: string) => `{"text":"ok","deep":${'['.repeat(depth)}${leaf}${']'.repeat(depth)}}`
    await expectRefused(() => json(nested('"\\ud800"')), '&quot;deep&quot; holds an unpaired surrogate')
    expect((await json(nested('"fine"'))).status).toBe(303)
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { MAX_FORM_FIELDS, parseUrlEncoded } from '../../../../src/core/web/http/body.ts'
import { startTestServer, type TestServer } from './test-slice.ts'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(() => t.stop())

const post = (body: string, contentType: string) =>
  fetch(new URL('/notes', t.url), {
    method: 'POST',
    body,
    redirect: 'manual',
    headers: { 'Content-Type': contentType },
  })

/** Just under the default 64 KiB body limit, one field name repeated: 21,000 fields. */
const REPEATED = 'a=&'.repeat(21_000)

describe('form bodies', () => {
  it('keeps every value of a repeated field, in order, up to the field limit', () => {
    const values = Array.from({ length: MAX_FORM_FIELDS }, (_, i) => `v${i}`)
    const parsed = parseUrlEncoded(values.map((value) => `tag=${value}`).join('&'))
    expect(parsed.tag).toEqual(values)
    expect(parseUrlEncoded('one=1&two=2&two=3')).toEqual({ one: '1', two: ['2', '3'] })
  })

  it('refuses more fields than the limit with 413, before reading the rest', () => {
    const over = 'a=&'.repeat(MAX_FORM_FIELDS + 1)
    expect(() => parseUrlEncoded(over)).toThrow(`Cannot read form data: more than ${MAX_FORM_FIELDS} fields`)
  })

  it('answers a 64 KB form of one repeated field at once, and the server keeps answering', async () => {
    // Parsing this took hundreds of milliseconds to seconds when each repeat copied the array.
    const started = performance.now()
    const answers = await Promise.all([1, 2, 3, 4].map(() => post(REPEATED, 'application/x-www-form-urlencoded')))
    expect(answers.map((response) => response.status)).toEqual([413, 413, 413, 413])
    expect(await answers[0]?.text()).toContain(`more than ${MAX_FORM_FIELDS} fields`)
    expect(performance.now() - started).toBeLessThan(200)
    expect((await fetch(new URL('/healthz', t.url))).status).toBe(200)
  })

  it('bounds a multipart body the same way', async () => {
    const part = '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n\r\n'
    const body = `${part.repeat(MAX_FORM_FIELDS + 1)}--x--\r\n`
    const response = await post(body, 'multipart/form-data; boundary=x')
    expect(response.status).toBe(413)
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { startTestServer, type TestServer } from './test-slice.ts'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer({ BODY_LIMIT_BYTES: '1024' })
})
afterAll(() => t.stop())

const form = (body: string, headers: Record<string, string> = {}) => ({
  method: 'POST',
  body,
  redirect: 'manual' as const,
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
})

describe('command routes', () => {
  it('answers a plain form post with 303 See Other back to the page', async () => {
    const before = await t.headPosition()
    const response = await fetch(new URL('/notes', t.url), form('text=Buy+milk'))
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/notes')
    expect(await t.headPosition()).toBe(before + 1)
  })

  it('answers the same route with 204 for a Datastar request', async () => {
    const before = await t.headPosition()
    const response = await fetch(new URL('/notes', t.url), {
      method: 'POST',
      body: JSON.stringify({ text: 'From signals', unrelated: 1 }),
      headers: { 'Content-Type': 'application/json', 'Datastar-Request': 'true' },
    })
    expect(response.status).toBe(204)
    expect(await t.headPosition()).toBe(before + 1)
  })

  it('accepts a Datastar form post (contentType form) with 204', async () => {
    const response = await fetch(new URL('/notes', t.url), form('text=Datastar+form', { 'Datastar-Request': 'true' }))
    expect(response.status).toBe(204)
  })

  it('re-renders the page with 422 and the error next to the field, writing nothing', async () => {
    const before = await t.headPosition()
    const response = await fetch(new URL('/notes', t.url), form('text=+++'))
    expect(response.status).toBe(422)
    const body = await response.text()
    expect(body).toContain('<!doctype html>')
    expect(body).toMatch(
      /<input id="text" name="text" value=" {3}" aria-invalid="true">\s*<p class="field__error" id="text-error">Write something first<\/p>/,
    )
    expect(await t.headPosition()).toBe(before)
  })

  it('answers invalid Datastar input with a morph of the form region, writing nothing', async () => {
    const before = await t.headPosition()
    const response = await fetch(new URL('/notes', t.url), {
      method: 'POST',
      body: JSON.stringify({ text: 'x'.repeat(201) }),
      headers: { 'Content-Type': 'application/json', 'Datastar-Request': 'true' },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toStartWith('text/html')
    expect(response.headers.get('ironstar-status')).toBe('422')
    const body = await response.text()
    expect(body).toStartWith('<form id="note-form"')
    expect(body).toContain('Keep it under 200 characters')
    expect(await t.headPosition()).toBe(before)
  })
})

describe('request protection', () => {
  it('refuses a cross-origin POST (Origin) with 403 and writes nothing', async () => {
    const before = await t.headPosition()
    const response = await fetch(new URL('/notes', t.url), form('text=evil', { Origin: 'https://evil.example' }))
    expect(response.status).toBe(403)
    expect(await response.text()).toContain('Cannot accept a cross-origin request')
    expect(await t.headPosition()).toBe(before)
  })

  it('refuses a cross-site POST (Sec-Fetch-Site) with 403 even for Datastar, and writes nothing', async () => {
    const before = await t.headPosition()
    const response = await fetch(
      new URL('/notes', t.url),
      form('text=evil', { 'Sec-Fetch-Site': 'cross-site', 'Datastar-Request': 'true' }),
    )
    expect(response.status).toBe(403)
    expect(await t.headPosition()).toBe(before)
  })

  it('accepts a POST whose Origin matches the host', async () => {
    const response = await fetch(
      new URL('/notes', t.url),
      form('text=same', { Origin: t.url.origin, 'Sec-Fetch-Site': 'same-origin' }),
    )
    expect(response.status).toBe(303)
  })

  it('refuses a body over the limit with 413 (declared length)', async () => {
    const before = await t.headPosition()
    const response = await fetch(new URL('/notes', t.url), form(`text=${'a'.repeat(2000)}`))
    expect(response.status).toBe(413)
    expect(await t.headPosition()).toBe(before)
  })

  it('refuses a chunked body over the limit with 413', async () => {
    const chunks = [new TextEncoder().encode('text='), new TextEncoder().encode('a'.repeat(2000))]
    const body = new ReadableStream({
      pull(controller) {
        const next = chunks.shift()
        if (next) controller.enqueue(next)
        else controller.close()
      },
    })
    const response = await fetch(new URL('/notes', t.url), { ...form(''), body })
    expect(response.status).toBe(413)
  })

  it('answers malformed JSON with 400 and a message', async () => {
    const response = await fetch(new URL('/notes', t.url), {
      method: 'POST',
      body: '{"text": ',
      headers: { 'Content-Type': 'application/json', 'Datastar-Request': 'true' },
    })
    expect(response.headers.get('ironstar-status')).toBe('400')
    expect(await response.text()).toContain('Cannot read JSON body')
    const plain = await fetch(new URL('/notes', t.url), {
      method: 'POST',
      body: '[1',
      headers: { 'Content-Type': 'application/json' },
    })
    expect(plain.status).toBe(400)
  })

  it('answers malformed form data with 400 and a message', async () => {
    const response = await fetch(new URL('/notes', t.url), form('text=%E0%A4%A'))
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('Cannot read form data: malformed percent-encoding')
    const multipart = await fetch(new URL('/notes', t.url), {
      method: 'POST',
      body: '--x\r\nbroken',
      headers: { 'Content-Type': 'multipart/form-data; boundary=x' },
    })
    expect(multipart.status).toBe(400)
  })

  it('answers an unsupported content type with 415', async () => {
    const response = await fetch(new URL('/notes', t.url), {
      method: 'POST',
      body: 'text',
      headers: { 'Content-Type': 'text/plain' },
    })
    expect(response.status).toBe(415)
  })
})

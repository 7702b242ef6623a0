import { afterAll, beforeAll, expect, it } from 'bun:test'
import { startTestServer, type TestServer } from './test-slice.ts'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(() => t.stop())

it('serves user text with <script> and " escaped in HTML and inside data-* attributes', async () => {
  const text = `<script>alert("pwned")</script>" onmouseover="x`
  const posted = await fetch(new URL('/notes', t.url), {
    method: 'POST',
    body: JSON.stringify({ text }),
    headers: { 'Content-Type': 'application/json', 'Datastar-Request': 'true' },
  })
  expect(posted.status).toBe(204)
  const body = await (await fetch(new URL('/notes', t.url))).text()
  const item = /<li id="note-\d+"[^>]*>.*?<\/li>/.exec(body)?.[0] ?? ''
  expect(item).not.toBe('')
  expect(body).not.toContain('<script>alert')
  expect(body).not.toContain('" onmouseover="x')
  // Text content: entity-escaped.
  expect(item).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&quot; onmouseover=&quot;x</li>')
  // Attributes: exactly the quotes the template wrote, and JSON with \u escapes inside.
  const attributes = item.slice(0, item.indexOf('>') + 1)
  expect(attributes.match(/"/g)?.length).toBe(6)
  expect(attributes).toContain('data-signals="{&quot;draft&quot;:&quot;\\u003cscript\\u003ealert(\\u0022pwned\\u0022)')
  expect(attributes).toContain('data-on:click="@post(&quot;/notes/\\u003cscript\\u003e')
  expect(attributes).not.toContain('<script')
})

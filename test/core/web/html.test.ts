import { describe, expect, it } from 'bun:test'
import { escapeHtml, html, js, raw, signals } from '../../../src/core/web/html.ts'

const HOSTILE = `</li><script>alert("x")</script> it's \`$evil\` @get('/steal') \\" ${'\u2028'}🖕JS_DS🚀`

/** What a browser hands Datastar: the attribute value with entities decoded. */
function decodeAttribute(value: string): string {
  return value.replace(
    /&(quot|amp|lt|gt|#39|#96);/g,
    (_, name: string) => ({ quot: '"', amp: '&', lt: '<', gt: '>', '#39': "'", '#96': '`' })[name] ?? '',
  )
}

// Datastar 1.0 rewrites `@name(` everywhere in an expression, string literals included, then
// compiles it with Function(). A safe literal must survive that rewrite unchanged.
function evaluateLikeDatastar(expression: string): unknown {
  const rewritten = expression.replaceAll(/@([A-Za-z_$][\w$]*)\(/g, '__action("$1",evt,')
  return Function(`return (${rewritten})`)()
}

describe('html', () => {
  it('escapes interpolated text and attribute values', () => {
    const out = html`<p title="${HOSTILE}">${HOSTILE}</p>`.value
    expect(out).not.toContain('<script>')
    expect(out).not.toContain('"x"')
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
    expect(out.match(/"/g)?.length).toBe(2)
  })

  it('keeps nested html and raw() as they are, and skips null, undefined and booleans', () => {
    const inner = html`<b>${'<i>'}</b>`
    expect(html`<p>${inner}${raw('<hr>')}${null}${undefined}${false}${[1, 2]}</p>`.value).toBe(
      '<p><b>&lt;i&gt;</b><hr>12</p>',
    )
  })

  it('escapeHtml() escapes the five HTML specials and the backtick', () => {
    expect(escapeHtml(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;')
  })
})

describe('js() and signals()', () => {
  it('round-trips hostile text through an attribute and Datastar expression rewriting', () => {
    const attribute = html`<li data-on:click="${js(HOSTILE)}">`.value
    const value = /data-on:click="([^"]*)"/.exec(attribute)?.[1] ?? ''
    expect(evaluateLikeDatastar(decodeAttribute(value))).toBe(HOSTILE)
  })

  it('keeps quotes, backslashes, $ and @ out of the literal entirely', () => {
    const literal = js(HOSTILE)
    expect(literal.slice(1, -1)).not.toMatch(/["'`$@\\](?!u[0-9a-f]{4})/)
    expect(literal).toMatch(/^"[^"]*"$/)
  })

  it('encodes data-signals as an object whose strings survive the same path', () => {
    const value = signals({ draft: HOSTILE, count: 3, nested: { ok: true } })
    const attribute = html`<div data-signals="${value}"></div>`.value
    const decoded = decodeAttribute(/data-signals="([^"]*)"/.exec(attribute)?.[1] ?? '')
    expect(evaluateLikeDatastar(decoded)).toEqual({ draft: HOSTILE, count: 3, nested: { ok: true } })
    expect(JSON.parse(decoded)).toEqual({ draft: HOSTILE, count: 3, nested: { ok: true } })
  })

  it('refuses values JSON cannot represent', () => {
    expect(() => js(undefined)).toThrow('Cannot encode undefined as a JS literal')
  })
})

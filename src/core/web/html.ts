/**
 * HTML that is escaped by default. Every value interpolated into `html` is escaped for text
 * and attribute context alike (quotes included), unless it is already `Html`, produced by
 * `html` itself or by `raw()`. `raw(` is the one greppable door for trusted markup.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

type Interpolation = Html | string | number | bigint | boolean | null | undefined | readonly Interpolation[]

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
}

/** Escapes text for HTML text and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => ESCAPES[char] ?? char)
}

function render(value: Interpolation): string {
  if (value instanceof Html) return value.value
  if (value === null || value === undefined || value === false || value === true) return ''
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

/** Tagged template: `html\`<p>${userText}</p>\`` escapes `userText`; nested `html` stays as is. */
export function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): Html {
  let out = strings[0] ?? ''
  for (let i = 0; i < values.length; i++) out += render(values[i] as Interpolation) + (strings[i + 1] ?? '')
  return new Html(out)
}

/** Inserts trusted markup without escaping. Review every call: it is the only way around escaping. */
export function raw(trusted: string): Html {
  return new Html(trusted)
}

// Datastar compiles attribute values with Function() after rewriting `@action(` everywhere,
// even inside string literals, and its string-literal regex mis-reads `\\"`. So a literal
// placed in an expression carries no quote, backslash, `$`, `@`, backtick or non-ASCII
// character in plain form: all of them become \uXXXX escapes, which JS reads back unchanged.
const UNSAFE_IN_EXPRESSION = /\\(["\\/bfnrt])|[^\x20-\x7e]|[$@`'<>&;]/g
const SIMPLE_ESCAPES: Record<string, string> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  '"': '"',
  '\\': '\\',
  '/': '/',
}

function unicodeEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`
}

/**
 * A JSON value as a JS literal that is safe inside a Datastar expression (`data-on:*`,
 * `data-signals`, `data-text`, ...). The `html` tag then escapes it for the attribute.
 * Example: `data-on:click="@post(${js(`/todos/${id}/toggle`)})"`.
 */
export function js(value: unknown): string {
  const json = JSON.stringify(value)
  if (json === undefined) throw new TypeError(`Cannot encode ${typeof value} as a JS literal`)
  return json.replace(UNSAFE_IN_EXPRESSION, (match, escaped: string | undefined) => {
    if (escaped === undefined) return unicodeEscape(match)
    if (escaped === '"' || escaped === '\\') return unicodeEscape(escaped)
    return unicodeEscape(SIMPLE_ESCAPES[escaped] ?? escaped)
  })
}

/** The value of a `data-signals` attribute: an object literal with every string made safe. */
export function signals(values: Readonly<Record<string, unknown>>): string {
  return js(values)
}

/** Joins class names, skipping falsy ones: `classes('btn', isBusy && 'is-busy')`. */
export function classes(...names: readonly (string | false | null | undefined)[]): string {
  return names.filter(Boolean).join(' ')
}

/** An HTML response (a page, or a region for Datastar to morph). */
export function htmlResponse(body: Html, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers)
  headers.set('Content-Type', 'text/html; charset=utf-8')
  // Pages embed the current hashed asset URLs and state: revalidate on every visit, never serve stale.
  if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-cache')
  return new Response(body.value, { ...init, headers })
}

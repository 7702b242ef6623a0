/**
 * Generates hostile HTTP requests, seeded, against a list of routes: each one a plausible
 * request to a real route with one thing made absurd. `encodeRequest` (hostile-wire.ts) turns
 * one into bytes for the raw client, so nothing normalises it on the way.
 */

import { seededRandom } from '../../src/core/testing/seeded-random.ts'
import { type Dice, headerRequest } from './hostile-headers.ts'
import {
  BAD_FORM_TEXT,
  BAD_JSON_TEXT,
  CONTENT_TYPES,
  FIELDS,
  JSON_VALUES,
  MALFORMED,
  METHODS,
  NEVER_VALID_JSON,
  PARAMS,
  RESUME,
  TEXTS,
  TRAVERSALS,
  UNKNOWN_PATHS,
} from './hostile-values.ts'
import { bytes, latin1 } from './hostile-wire.ts'

export interface Route {
  /** Bun route syntax: `/todos/:id/toggle`, `/assets/*`. */
  readonly path: string
  readonly methods: readonly string[]
}

/** What a visitor of the running app legitimately holds: its address, a session, ids that exist. */
export interface Known {
  readonly host: string
  readonly cookie: string
  readonly ids: readonly string[]
}

export const KINDS = [
  'valid',
  'malformed-body',
  'repeated-fields',
  'invalid-unicode',
  'method',
  'host',
  'headers',
  'resume',
  'cookie',
  'traversal',
  'nested-json',
  'huge-body',
  'truncated',
  'slow',
  'unknown-route',
  'header-flood',
] as const
export type Kind = (typeof KINDS)[number]

const BODY_KINDS: ReadonlySet<Kind> = new Set([
  'valid',
  'malformed-body',
  'repeated-fields',
  'invalid-unicode',
  'nested-json',
  'huge-body',
  'truncated',
  'slow',
])

/**
 * Kinds that never write, whatever the answer: a body over the limit, cut short, or slow with
 * one no command accepts. They may go many at a time, like GET and HEAD.
 */
export const NEVER_WRITES: ReadonlySet<Kind> = new Set(['huge-body', 'truncated', 'slow'])

/** One buffer the huge bodies are views of: a form field of `a`s, 2 MiB in all. */
const HUGE = bytes(`text=${'a'.repeat(2 * 1024 * 1024 - 5)}`)

export interface HostileRequest {
  readonly kind: Kind
  readonly method: string
  readonly target: string
  /** Sent as they are, in order; Host and Content-Length are only added when absent here. */
  readonly headers: readonly (readonly [string, string])[]
  readonly body: Uint8Array
  readonly version: '1.0' | '1.1'
  /** Send no Host header at all. */
  readonly noHost?: boolean
  /** Send no Content-Length (a chunked body, or one that lies). */
  readonly noLength?: boolean
  /**
   * How the bytes go out (hostile-wire.ts): all at once by default; cut after this fraction of
   * them, then the sending side closed; or in `parts` pieces with `gapMs` between them.
   */
  readonly delivery?: { readonly cutFraction: number } | { readonly parts: number; readonly gapMs: number }
}

export class RequestGenerator {
  readonly #random: () => number
  readonly #routes: readonly Route[]
  readonly #known: Known
  #generated = 0

  constructor(routes: readonly Route[], known: Known, seed: number) {
    if (routes.length === 0) throw new Error('Cannot generate requests: no routes')
    this.#routes = routes
    this.#known = known
    this.#random = seededRandom(seed)
  }

  /** The next `count` requests, cycling through the kinds so each gets its share. */
  generate(count: number): HostileRequest[] {
    return Array.from({ length: count }, () => this.#one(KINDS[this.#generated++ % KINDS.length] as Kind))
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#random() * items.length)] as T
  }

  #chance(p: number): boolean {
    return this.#random() < p
  }

  readonly #dice: Dice = { pick: (items) => this.#pick(items), chance: (p) => this.#chance(p) }

  #path(route: Route, params: readonly string[] = [...this.#known.ids, ...PARAMS]): string {
    return route.path
      .replace(/:[a-z]+/gi, () => this.#pick(params))
      .replace('*', () =>
        this.#pick(['app.css', 'app.js', 'favicon.svg', 'vendor/datastar.js', 'samples/', 'nope.txt']),
      )
  }

  #jsonBody(): string {
    const fields = Object.fromEntries(
      Array.from({ length: 1 + Math.floor(this.#random() * 3) }, () => [this.#pick(FIELDS), this.#pick(JSON_VALUES)]),
    )
    return JSON.stringify(fields)
  }

  #formBody(): string {
    const count = 1 + Math.floor(this.#random() * 3)
    return Array.from({ length: count }, () => `${this.#pick(FIELDS)}=${encodeURIComponent(this.#pick(TEXTS))}`).join(
      '&',
    )
  }

  /** Kinds about a body go to routes that take one (most of the time), with the method that does. */
  #route(kind: Kind): { route: Route; method: string } {
    const takesBody = BODY_KINDS.has(kind) && this.#chance(kind === 'valid' || kind === 'invalid-unicode' ? 0.6 : 0.9)
    const commands = this.#routes.filter((route) => route.methods.includes('POST'))
    if (takesBody && commands.length > 0) return { route: this.#pick(commands), method: 'POST' }
    const route = this.#pick(this.#routes)
    const method = this.#pick(route.methods)
    // HEAD is what every GET route also answers.
    return { route, method: method === 'GET' && this.#chance(0.15) ? 'HEAD' : method }
  }

  #one(kind: Kind): HostileRequest {
    const { route, method } = this.#route(kind)
    const isFeed = route.path.endsWith('/feed')
    const base = {
      kind,
      method,
      target: this.#path(route),
      headers: [] as [string, string][],
      body: new Uint8Array(0),
      version: '1.1' as const,
    }
    const h = base.headers
    if (this.#chance(0.8)) h.push(['Cookie', this.#known.cookie])
    if (method === 'POST' && this.#chance(0.8)) h.push(['Origin', `http://${this.#known.host}`])
    if (this.#chance(0.3)) h.push(['Datastar-Request', 'true'])
    const json = this.#chance(0.5)
    const withBody = (
      text: string | Uint8Array,
      type = json ? 'application/json' : 'application/x-www-form-urlencoded',
    ) => {
      h.push(['Content-Type', type])
      return { ...base, body: typeof text === 'string' ? bytes(text) : text }
    }

    switch (kind) {
      case 'valid':
        if (method !== 'POST') return base
        return withBody(json ? this.#jsonBody() : this.#formBody())
      case 'malformed-body': {
        if (this.#chance(0.3)) return withBody(this.#pick(MALFORMED), this.#pick(CONTENT_TYPES))
        if (this.#chance(0.3)) return withBody(Uint8Array.from({ length: 64 }, () => Math.floor(this.#random() * 256)))
        return withBody(this.#pick(MALFORMED))
      }
      case 'repeated-fields': {
        const name = this.#pick(FIELDS)
        const times = this.#pick([2, 3, 50, 999, 1_001, 3_000])
        if (json) return withBody(`{${Array.from({ length: times }, (_, i) => `"${name}":"${i}"`).join(',')}}`)
        return withBody(Array.from({ length: times }, (_, i) => `${name}=${i}`).join('&'))
      }
      case 'invalid-unicode': {
        const where = this.#pick(['body', 'body', 'body', 'query', 'param', 'signals'])
        if (where === 'query')
          return {
            ...base,
            target: `${this.#path(route)}?filter=${this.#pick(BAD_FORM_TEXT)}&q=${this.#pick(BAD_FORM_TEXT)}`,
          }
        if (where === 'param') return { ...base, target: this.#path(route, BAD_FORM_TEXT) }
        if (where === 'signals') {
          const signals = encodeURIComponent(`{"text":"${this.#pick(BAD_JSON_TEXT)}"}`)
          return { ...base, target: `${this.#path(route)}?datastar=${signals}` }
        }
        // In every field a command might read, or in one of them.
        const fields = this.#chance(0.7) ? FIELDS : [this.#pick(FIELDS)]
        if (json) return withBody(`{${fields.map((f) => `"${f}":"ok ${this.#pick(BAD_JSON_TEXT)}"`).join(',')}}`)
        if (this.#chance(0.2)) return withBody(latin1(`text=\xff\xfe\xed\xa0\x80`))
        return withBody(fields.map((f) => `${f}=ok${this.#pick(BAD_FORM_TEXT)}`).join('&'))
      }
      case 'method': {
        const odd = this.#pick(METHODS)
        if (odd === 'CONNECT')
          return { ...base, method: odd, target: this.#pick([this.#known.host, 'evil.example:443', '/']) }
        return { ...base, method: odd }
      }
      case 'host':
      case 'headers':
      case 'cookie':
      case 'header-flood':
        return headerRequest(kind, base, this.#dice, this.#known)
      case 'resume': {
        const value = this.#pick(RESUME)
        const target = isFeed
          ? this.#path(route)
          : this.#path(this.#pick(this.#routes.filter((r) => r.path.endsWith('/feed'))) ?? route)
        if (this.#chance(0.5)) return { ...base, method: 'GET', target: `${target}?since=${encodeURIComponent(value)}` }
        h.push(['Last-Event-ID', value])
        return { ...base, method: 'GET', target }
      }
      case 'traversal':
        return { ...base, method: this.#pick(['GET', 'HEAD']), target: this.#pick(TRAVERSALS) }
      case 'huge-body': {
        const size = this.#pick([65_537, 300_000, 1 << 20, HUGE.byteLength])
        if (this.#chance(0.7)) return withBody(HUGE.subarray(0, size), 'application/x-www-form-urlencoded')
        // Chunked, so no declared length warns the server: it must count as it reads.
        h.push(['Transfer-Encoding', 'chunked'], ['Content-Type', 'application/x-www-form-urlencoded'])
        const data = HUGE.subarray(0, Math.min(size, 1 << 20))
        const chunked = Buffer.concat([bytes(`${data.byteLength.toString(16)}\r\n`), data, bytes('\r\n0\r\n\r\n')])
        return { ...base, noLength: true, body: chunked }
      }
      case 'truncated': {
        const body = json ? this.#jsonBody() : this.#formBody()
        return { ...withBody(body), delivery: { cutFraction: this.#random() } }
      }
      case 'slow': {
        const delivery = { parts: this.#pick([2, 3, 5]), gapMs: this.#pick([10, 30, 60]) }
        return { ...withBody(this.#pick(NEVER_VALID_JSON), 'application/json'), delivery }
      }
      case 'unknown-route':
        return { ...base, method: this.#pick(['GET', 'POST', 'HEAD', 'DELETE']), target: this.#pick(UNKNOWN_PATHS) }
      case 'nested-json': {
        const depth = this.#pick([1_000, 5_000, 20_000, 40_000])
        const leaf = this.#chance(0.3) ? `"${this.#pick(BAD_JSON_TEXT)}"` : '1'
        const [open, close] = this.#chance(0.5) ? ['[', ']'] : ['{"a":', '}']
        const nested = `${open.repeat(depth)}${leaf}${close.repeat(depth)}`
        return withBody(this.#chance(0.2) ? nested : `{"text":"deep","x":${nested}}`, 'application/json')
      }
    }
  }
}

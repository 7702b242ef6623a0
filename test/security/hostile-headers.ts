/**
 * The header-shaped kinds of hostile request: a missing, doubled or foreign Host, lying lengths and
 * encodings, smuggling, bad cookies, header floods. Split from the generator, which shares its dice.
 */

import type { HostileRequest, Known } from './hostile-requests.ts'
import { COOKIE_VALUES, HEADER_FLOODS, HOSTS } from './hostile-values.ts'
import { bytes } from './hostile-wire.ts'

/** The generator's seeded choices. */
export interface Dice {
  pick<T>(items: readonly T[]): T
  chance(p: number): boolean
}

type HeaderKind = 'host' | 'headers' | 'cookie' | 'header-flood'

/** A request being built: the generator's plain one, whose headers this adds to. */
type Draft = HostileRequest & { readonly headers: [string, string][] }

/** `base` with one header-shaped thing made absurd. */
export function headerRequest(kind: HeaderKind, base: Draft, dice: Dice, known: Known): HostileRequest {
  const h = base.headers
  switch (kind) {
    case 'host': {
      const variant = dice.pick(['none', 'http10', 'odd', 'twice', 'absolute'])
      if (variant === 'none') return { ...base, noHost: true }
      if (variant === 'http10') return { ...base, version: '1.0', noHost: true }
      if (variant === 'twice') h.push(['Host', known.host], ['Host', 'evil.example'])
      else if (variant === 'absolute') return { ...base, target: `http://evil.example${base.target}` }
      else h.push(['Host', dice.pick(HOSTS)])
      return base
    }
    case 'headers': {
      const variant = dice.pick(['long', 'many', 'length', 'chunked', 'encoding', 'origin', 'huge', 'smuggle'])
      if (variant === 'long') h.push(['X-Long', 'a'.repeat(7_000)])
      if (variant === 'huge') h.push(['X-Huge', 'a'.repeat(70_000)])
      if (variant === 'many') for (let i = 0; i < 150; i++) h.push([`X-H${i}`, String(i)])
      if (variant === 'encoding')
        h.push([
          'Accept-Encoding',
          dice.pick(['br;q=abc, *;q=2', 'gzip, gzip, gzip', 'x'.repeat(3000), 'identity;q=0']),
        ])
      if (variant === 'origin')
        h.push(
          ['Origin', dice.pick(['null', 'http://evil.example', 'garbage', ''])],
          ['Sec-Fetch-Site', dice.pick(['cross-site', 'same-site', 'junk'])],
        )
      if (variant === 'length') {
        h.push(['Content-Length', dice.pick(['-1', 'abc', '99999999999', '1, 2', '0x10'])])
        return { ...base, noLength: true }
      }
      if (variant === 'smuggle') {
        // Both lengths, and a second request hidden after the first's end by one reading of them.
        h.push(['Content-Length', '4'], ['Transfer-Encoding', 'chunked'], ['Content-Type', 'text/plain'])
        const hidden = `POST /todos HTTP/1.1\r\nHost: ${known.host}\r\nCookie: ${known.cookie}\r\nContent-Length: 13\r\n\r\ntext=smuggled`
        return { ...base, noLength: true, body: bytes(`0\r\n\r\n${hidden}`) }
      }
      if (variant === 'chunked') {
        h.push(['Transfer-Encoding', 'chunked'], ['Content-Type', 'application/x-www-form-urlencoded'])
        return {
          ...base,
          noLength: true,
          body: bytes(dice.pick(['a\r\ntext=hello\r\n0\r\n\r\n', 'zz\r\nxx\r\n0\r\n\r\n', '0\r\n\r\n'])),
        }
      }
      return base
    }
    case 'cookie': {
      const name = dice.pick(['session', '__Host-session', 'theme'])
      const value = dice.pick(COOKIE_VALUES)
      const header = dice.pick([
        `${name}=${value}`,
        `${known.cookie}; ${name}=${value}`,
        `${name}=${value}; ${known.cookie}`,
        ';;;=;',
        Array.from({ length: 200 }, (_, i) => `c${i}=${i}`).join('; '),
      ])
      return { ...base, headers: [['Cookie', header], ...h.filter(([n]) => n !== 'Cookie')] }
    }
    case 'header-flood':
      for (const [name, value] of dice.pick(HEADER_FLOODS)) h.push([name, value])
      return base
  }
}

import { describe, expect, it } from 'bun:test'
import { negotiateEncoding } from '../../../../src/core/web/sse/compression.ts'

describe('negotiateEncoding', () => {
  it('returns null without a header or with identity only', () => {
    expect(negotiateEncoding(null)).toBeNull()
    expect(negotiateEncoding('')).toBeNull()
    expect(negotiateEncoding('identity')).toBeNull()
  })

  it('prefers brotli on a tie and otherwise the higher q-value', () => {
    expect(negotiateEncoding('gzip, deflate, br')).toBe('br')
    expect(negotiateEncoding('br;q=0.5, gzip')).toBe('gzip')
    expect(negotiateEncoding('gzip;q=0.8, br;q=0.9')).toBe('br')
  })

  it('treats q=0 as a refusal and honours the wildcard', () => {
    expect(negotiateEncoding('br;q=0, gzip')).toBe('gzip')
    expect(negotiateEncoding('br;q=0, gzip;q=0')).toBeNull()
    expect(negotiateEncoding('*')).toBe('br')
    expect(negotiateEncoding('*;q=0.5, br;q=0')).toBe('gzip')
  })

  it('ignores case and whitespace, and an unparseable q-value refuses', () => {
    expect(negotiateEncoding('  GZIP ; Q=1 ')).toBe('gzip')
    expect(negotiateEncoding('br;q=abc')).toBeNull()
  })
})

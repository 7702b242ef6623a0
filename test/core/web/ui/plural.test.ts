import { describe, expect, it } from 'bun:test'
import { plural } from '../../../../src/core/web/ui/plural.ts'

describe('plural', () => {
  it('uses the singular for exactly one and the plural for everything else', () => {
    expect(plural(1, 'row')).toBe('1 row')
    expect(plural(0, 'row')).toBe('0 rows')
    expect(plural(2, 'row')).toBe('2 rows')
  })

  it('groups thousands and takes an irregular plural', () => {
    expect(plural(1234, 'row')).toBe('1,234 rows')
    expect(plural(3, 'query', 'queries')).toBe('3 queries')
    expect(plural(1, 'query', 'queries')).toBe('1 query')
  })
})

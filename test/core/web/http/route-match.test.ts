import { describe, expect, it } from 'bun:test'
import { Router } from '../../../../src/core/web/http/router.ts'

const ok = () => new Response('ok')
const router = new Router([
  {
    owner: 'test',
    kind: 'page',
    table: {
      '/todos': { GET: ok },
      '/todos/:id': { GET: ok },
      '/todos/new': { GET: ok },
      '/todos/:id/edit': { POST: ok },
      '/assets/*': { GET: ok },
      '/assets/app.css': { GET: ok },
    },
  },
])
const matched = (path: string) => {
  const match = router.match(path)
  return match && { pattern: match.route.pattern, params: match.params }
}

describe('the shell router (requests that do not come through Bun.serve routes)', () => {
  it('prefers an exact path, then parameters, then a wildcard, as Bun does', () => {
    expect(matched('/todos/new')).toEqual({ pattern: '/todos/new', params: {} })
    expect(matched('/todos/42')).toEqual({ pattern: '/todos/:id', params: { id: '42' } })
    expect(matched('/assets/app.css')?.pattern).toBe('/assets/app.css')
    expect(matched('/assets/vendor/x.js')?.pattern).toBe('/assets/*')
  })

  it('decodes parameters, keeps malformed escapes as sent, and never matches an empty segment', () => {
    expect(matched('/todos/a%20b/edit')).toEqual({ pattern: '/todos/:id/edit', params: { id: 'a b' } })
    expect(matched('/todos/%zz')?.params).toEqual({ id: '%zz' })
    expect(matched('/todos//edit')).toBeNull()
    expect(matched('/todos/42/')).toBeNull()
  })

  it('needs a segment after a wildcard prefix', () => {
    expect(matched('/assets')).toBeNull()
    expect(matched('/assets/')?.pattern).toBe('/assets/*')
  })

  it('refuses a path two owners register', () => {
    expect(
      () =>
        new Router([
          { owner: 'a', kind: 'page', table: { '/x': { GET: ok } } },
          { owner: 'b', kind: 'page', table: { '/x': { POST: ok } } },
        ]),
    ).toThrow('Cannot register route "/x" for "b": owned by "a"')
  })
})

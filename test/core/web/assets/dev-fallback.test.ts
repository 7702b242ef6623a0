import { afterAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serveLoadError } from '../../../../src/core/web/assets/dev-fallback.ts'
import type { DevState } from '../../../../src/core/web/assets/dev-reload.ts'

const root = mkdtempSync(join(tmpdir(), 'ironstar-fallback-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('serveLoadError: the stand-in while the server code cannot load', async () => {
  writeFileSync(join(root, 'views.ts'), 'export const a = 1\nexport const <b> = 2\n')
  const error = await import(join(root, 'views.ts')).then(
    () => null,
    (e: unknown) => e,
  )
  const fallback = serveLoadError({ hostname: '127.0.0.1', port: 0, root, error })
  afterAll(() => fallback.stop())

  it('answers any page with a 500 naming the file and line, with the dev client that shows the overlay', async () => {
    const res = await fetch(new URL('/todos', fallback.url), { headers: { accept: 'text/html' } })
    expect(res.status).toBe(500)
    const body = await res.text()
    expect(body).toMatch(/<pre>views\.ts:2:\d+ /)
    expect(body).toContain('<script type="module" src="/__dev/reload.js?v=&amp;css=0"></script>')
    expect((await fetch(new URL('/__dev/reload.js', fallback.url))).status).toBe(200)
  })

  it('answers commands and feeds with a 503 and Retry-After', async () => {
    const res = await fetch(new URL('/todos', fallback.url), { method: 'POST', body: 'text=x' })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(await res.text()).toContain('views.ts:2:')
  })

  it('tells open pages the error without a version, so they show it instead of reloading to it', async () => {
    const ws = new WebSocket(new URL('/__dev/reload', fallback.url).href.replace(/^http/, 'ws'))
    const state = await new Promise<DevState>((resolve) => {
      ws.onmessage = (event) => resolve(JSON.parse(String(event.data)) as DevState)
    })
    ws.close()
    expect(state.version).toBeNull()
    expect(state.problems[0]).toMatchObject({ source: 'server', file: 'views.ts', line: 2 })
  })
})

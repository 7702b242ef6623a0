import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AssetServer, createAssetServer, devReloadScriptTag } from '../../../src/core/assets.ts'

/** Reads SSE `data:` lines from a streaming response as a client would. */
function dataLines(res: Response): () => Promise<string> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  return async () => {
    for (;;) {
      const match = buffer.match(/^data: (.*)$/m)
      if (match) {
        buffer = buffer.slice((match.index ?? 0) + match[0].length)
        return match[1] ?? ''
      }
      const { value, done } = await reader.read()
      if (done) throw new Error('Cannot read the reload stream: it ended')
      buffer += value
    }
  }
}

describe('dev reload in development from source', () => {
  let root: string
  let assets: AssetServer
  let server: ReturnType<typeof Bun.serve>

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ironstar-reload-'))
    mkdirSync(join(root, 'web'), { recursive: true })
    writeFileSync(join(root, 'web/app.ts'), 'console.log("v1")\n')
    assets = createAssetServer({ env: 'development', rootDir: root })
    server = Bun.serve({ port: 0, routes: assets.routes, fetch: () => new Response('Not found', { status: 404 }) })
  })

  afterAll(async () => {
    assets.close()
    await server.stop(true)
    rmSync(root, { recursive: true, force: true })
  })

  it('puts the reload script in pages and serves it', async () => {
    expect(devReloadScriptTag()).toBe('<script type="module" src="/__dev/reload.js"></script>')
    const res = await fetch(new URL('/__dev/reload.js', server.url))
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('location.reload()')
  })

  it('tells an open page to reload after web/ changes and serves the rebuilt bundle', async () => {
    const controller = new AbortController()
    const res = await fetch(new URL('/__dev/reload', server.url), { signal: controller.signal })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const next = dataLines(res)
    const first = await next()
    expect((await (await fetch(new URL('/assets/app.js', server.url))).text()).includes('v1')).toBe(true)

    writeFileSync(join(root, 'web/app.ts'), 'console.log("v2")\n')
    const second = await next()
    expect(second).not.toBe(first)
    expect(second.split('.')[0]).toBe(first.split('.')[0]) // same boot: a rebuild, not a restart
    expect(await (await fetch(new URL('/assets/app.js', server.url))).text()).toContain('v2')
    controller.abort()
  })

  it('removes the reload script once the asset server closes', () => {
    const other = createAssetServer({ env: 'development', rootDir: root })
    other.close()
    expect(devReloadScriptTag()).toBe('')
  })
})

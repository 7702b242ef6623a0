import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DevState } from '../../../../src/core/web/assets/dev-reload.ts'
import { type AssetServer, createAssetServer } from '../../../../src/core/web/assets.ts'

/** A page's side of the reload channel: every state the server sends, in order. */
function openChannel(url: URL): { next(predicate?: (state: DevState) => boolean): Promise<DevState>; close(): void } {
  const ws = new WebSocket(url.href.replace(/^http/, 'ws'))
  const received: DevState[] = []
  const waiters: (() => void)[] = []
  ws.onmessage = (event) => {
    received.push(JSON.parse(String(event.data)) as DevState)
    for (const wake of waiters.splice(0)) wake()
  }
  let seen = 0
  return {
    async next(predicate = () => true) {
      for (;;) {
        while (seen < received.length) {
          const state = received[seen++] as DevState
          if (predicate(state)) return state
        }
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
    },
    close: () => ws.close(),
  }
}

describe('the dev reload channel in development from source', () => {
  let root: string
  let assets: AssetServer
  let server: ReturnType<typeof Bun.serve>
  const url = (path: string) => new URL(path, server.url)

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ironstar-reload-'))
    mkdirSync(join(root, 'web/styles'), { recursive: true })
    writeFileSync(join(root, 'web/app.ts'), 'console.log("v1")\n')
    writeFileSync(join(root, 'web/styles/app.css'), 'body { --probe: one }\n')
    assets = createAssetServer({ env: 'development', rootDir: root })
    server = Bun.serve({
      port: 0,
      routes: { ...assets.routes, ...assets.upgradeRoutes },
      websocket: assets.websocket,
      fetch: () => new Response('Not found', { status: 404 }),
    })
  })

  afterAll(async () => {
    assets.close()
    await server.stop(true)
    rmSync(root, { recursive: true, force: true })
  })

  it('puts the client in pages with the version they were rendered at, and serves it', async () => {
    expect(assets.scriptTag()).toMatch(
      /^<script type="module" src="\/__dev\/reload\.js\?v=[0-9a-f]{8}\.0&amp;css=0"><\/script>$/,
    )
    const res = await fetch(url('/__dev/reload.js'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('javascript')
    const client = await res.text()
    expect(client).toContain('location.reload()')
    expect(client).toContain('BroadcastChannel')
    expect((await fetch(url('/__dev/reload'))).status).toBe(426) // a WebSocket, not a plain GET
  })

  it('a script change bumps the version (pages reload); a stylesheet change only bumps css (swapped in place)', async () => {
    const channel = openChannel(url('/__dev/reload'))
    const first = await channel.next()
    expect(first.problems).toEqual([])
    expect(await (await fetch(url('/assets/app.js'))).text()).toContain('v1')

    writeFileSync(join(root, 'web/app.ts'), 'console.log("v2")\n')
    const afterScript = await channel.next((s) => s.version !== first.version)
    expect(afterScript.version?.split('.')[0]).toBe(first.version?.split('.')[0]) // same process: a rebuild
    expect(afterScript.css).toBe(first.css)
    expect(await (await fetch(url('/assets/app.js'))).text()).toContain('v2')

    writeFileSync(join(root, 'web/styles/app.css'), 'body { --probe: two }\n')
    const afterStyle = await channel.next((s) => s.css !== first.css)
    expect(afterStyle.version).toBe(afterScript.version)
    expect(await (await fetch(url('/assets/app.css'))).text()).toContain('--probe: two')
    channel.close()
  })

  it('a broken file is reported with its file and line, the last good bundle stays served, the fix clears it', async () => {
    const channel = openChannel(url('/__dev/reload'))
    const before = await channel.next()
    writeFileSync(join(root, 'web/broken.ts'), 'export const a = 1\nexport const b = (\n')
    writeFileSync(join(root, 'web/app.ts'), 'import "./broken.ts"\nconsole.log("v3")\n')
    const broken = await channel.next((s) => s.problems.length > 0)
    expect(broken.problems[0]).toMatchObject({ source: 'browser', file: 'web/broken.ts', line: 2 })
    expect(broken.version).toBe(before.version) // nothing new to load
    const served = await fetch(url('/assets/app.js'))
    expect(served.status).toBe(200)
    expect(await served.text()).toContain('v2')

    writeFileSync(join(root, 'web/styles/app.css'), 'body { --probe: two }\np { color red }\n')
    const both = await channel.next((s) => s.problems.some((p) => p.source === 'css'))
    expect(both.problems.find((p) => p.source === 'css')).toMatchObject({ file: 'web/styles/app.css', line: 2 })
    expect(await (await fetch(url('/assets/app.css'))).text()).toContain('--probe: two')

    writeFileSync(join(root, 'web/broken.ts'), 'export const a = 1\n')
    writeFileSync(join(root, 'web/styles/app.css'), 'body { --probe: three }\n')
    const fixed = await channel.next((s) => s.problems.length === 0)
    expect(fixed.version).not.toBe(before.version)
    channel.close()
  })

  it('gives each asset server its own reload script, and none once it closes', () => {
    const other = createAssetServer({ env: 'development', rootDir: root })
    expect(other.scriptTag()).toMatch(/^<script type="module" src="\/__dev\/reload\.js/)
    other.close()
    expect(other.scriptTag()).toBe('')
    expect(assets.scriptTag()).not.toBe('')
  })
})

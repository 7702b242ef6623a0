import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliCompressSync, brotliDecompressSync, gzipSync } from 'node:zlib'
import {
  type AssetServer,
  assetUrl,
  createAssetServer,
  hasAsset,
  useEmbeddedAssets,
} from '../../../src/core/web/assets.ts'

let root: string

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ironstar-assets-'))
  mkdirSync(join(root, 'web/styles'), { recursive: true })
  mkdirSync(join(root, 'assets/vendor'), { recursive: true })
  writeFileSync(join(root, 'web/app.ts'), 'const greeting: string = "hello from web"\nconsole.log(greeting)\n')
  writeFileSync(join(root, 'web/styles/app.css'), 'body { --ironstar-probe: 42px }\n')
  writeFileSync(join(root, 'assets/vendor/datastar.js'), 'export const datastar = 1\n')
  writeFileSync(join(root, 'secret.txt'), 'top secret')
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

afterEach(() => useEmbeddedAssets(null))

/** Sends a request line exactly as written: fetch() would normalise `..` and `%2e%2e` before sending. */
async function rawStatus(port: number, path: string): Promise<number> {
  const { promise, resolve, reject } = Promise.withResolvers<string>()
  let text = ''
  const socket = await Bun.connect({
    hostname: '127.0.0.1',
    port,
    socket: {
      data(_socket, chunk) {
        text += new TextDecoder().decode(chunk)
        if (text.includes('\r\n')) resolve(text)
      },
      error: (_socket, error) => reject(error),
      close: () => resolve(text),
    },
  })
  socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)
  const response = await promise
  socket.end()
  return Number(response.split(' ')[1])
}

describe('source mode (dev and tests)', () => {
  let assets: AssetServer
  let server: ReturnType<typeof Bun.serve>
  beforeAll(() => {
    assets = createAssetServer({ env: 'test', rootDir: root })
    server = Bun.serve({ port: 0, routes: assets.routes, fetch: () => new Response('Not found', { status: 404 }) })
  })
  afterAll(async () => {
    assets.close()
    await server.stop(true)
  })

  it('bundles web/app.ts in memory and serves it with no-store', async () => {
    const res = await fetch(new URL(assetUrl('app.js'), server.url))
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-type')).toContain('javascript')
    const body = await res.text()
    expect(body).toContain('hello from web')
    expect(body).not.toContain(': string') // TypeScript was compiled away
  })

  it('bundles the CSS entry under its logical name', async () => {
    const res = await fetch(new URL('/assets/app.css', server.url))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/css')
    expect(await res.text()).toContain('--ironstar-probe')
  })

  it('serves files under assets/ from disk', async () => {
    const res = await fetch(new URL('/assets/vendor/datastar.js', server.url))
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.text()).toContain('datastar = 1')
  })

  it('answers 404 for unknown assets and refuses writes', async () => {
    expect((await fetch(new URL('/assets/nope.js', server.url))).status).toBe(404)
    // Through the shell a POST gets its 405 with Allow; the handler refuses one on its own too.
    const post = new Request(new URL('/assets/app.js', server.url), { method: 'POST' })
    expect((await assets.handle(post)).status).toBe(405)
  })

  it.each([
    '/assets/../secret.txt',
    '/assets/%2e%2e/secret.txt',
    '/assets/%2E%2E/%2E%2E/secret.txt',
    '/assets/..%2fsecret.txt',
    '/assets/vendor%2fdatastar.js',
    '/assets/vendor%5c..%5c..%5csecret.txt',
    '/assets/vendor/..%5c..%5csecret.txt',
    '/assets/.%2e/secret.txt',
    '/assets//etc/passwd',
    '/assets/%00',
  ])('refuses the traversal attempt %s with 404', async (path) => {
    expect(await rawStatus(server.port as number, path)).toBe(404)
    expect((await assets.handle(new Request(`http://localhost${path}`))).status).toBe(404)
  })

  it('knows which assets exist', () => {
    expect(hasAsset('app.js')).toBe(true)
    expect(hasAsset('../package.json')).toBe(false)
    expect(assets.scriptTag()).toBe('')
  })
})

describe('built mode (embedded, hashed)', () => {
  const js = 'console.log("built")\n'.repeat(50)

  function bundle() {
    const dir = join(root, 'built')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'app-abc123.js'), js)
    writeFileSync(join(dir, 'app-abc123.js.br'), brotliCompressSync(js))
    writeFileSync(join(dir, 'app-abc123.js.gz'), gzipSync(js))
    const file = { path: join(dir, 'app-abc123.js'), type: 'text/javascript;charset=utf-8', etag: '"abc123"' }
    return {
      manifest: { 'app.js': 'app-abc123.js' },
      files: {
        'app-abc123.js': { ...file, immutable: true, br: `${file.path}.br`, gz: `${file.path}.gz` },
        'app.js': { ...file, immutable: false },
      },
    }
  }

  it('maps logical names to hashed URLs', () => {
    useEmbeddedAssets(bundle())
    expect(assetUrl('app.js')).toBe('/assets/app-abc123.js')
    expect(hasAsset('app.js')).toBe(true)
    expect(hasAsset('vendor/datastar.js')).toBe(false)
  })

  it('serves hashed files as immutable with an ETag and the brotli variant', async () => {
    useEmbeddedAssets(bundle())
    const assets = createAssetServer({ env: 'production', rootDir: root })
    const res = await assets.handle(
      new Request('http://localhost/assets/app-abc123.js', { headers: { 'Accept-Encoding': 'gzip, deflate, br' } }),
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(res.headers.get('etag')).toBe('"abc123"')
    expect(res.headers.get('content-encoding')).toBe('br')
    expect(res.headers.get('vary')).toBe('Accept-Encoding')
    expect(res.headers.get('content-type')).toContain('javascript')
    expect(brotliDecompressSync(Buffer.from(await res.arrayBuffer())).toString()).toBe(js)
    assets.close()
  })

  it('falls back to gzip, then identity, and honours q=0', async () => {
    useEmbeddedAssets(bundle())
    const assets = createAssetServer({ env: 'production', rootDir: root })
    const get = (accept: string) =>
      assets.handle(new Request('http://localhost/assets/app-abc123.js', { headers: { 'Accept-Encoding': accept } }))
    expect((await get('gzip')).headers.get('content-encoding')).toBe('gzip')
    expect((await get('br;q=0, gzip')).headers.get('content-encoding')).toBe('gzip')
    const plain = await get('identity')
    expect(plain.headers.get('content-encoding')).toBeNull()
    expect(await plain.text()).toBe(js)
    assets.close()
  })

  it('answers 304 to a matching If-None-Match and serves aliases as no-cache', async () => {
    useEmbeddedAssets(bundle())
    const assets = createAssetServer({ env: 'production', rootDir: root })
    const cached = await assets.handle(
      new Request('http://localhost/assets/app-abc123.js', { headers: { 'If-None-Match': '"abc123"' } }),
    )
    expect(cached.status).toBe(304)
    const alias = await assets.handle(new Request('http://localhost/assets/app.js'))
    expect(alias.headers.get('cache-control')).toBe('no-cache')
    expect((await assets.handle(new Request('http://localhost/assets/vendor/datastar.js'))).status).toBe(404)
    assets.close()
  })

  it('has no dev reload endpoint even in development', () => {
    useEmbeddedAssets(bundle())
    const assets = createAssetServer({ env: 'development', rootDir: root })
    expect(Object.keys(assets.routes)).toEqual(['/assets/*'])
    expect(assets.scriptTag()).toBe('')
    assets.close()
  })
})

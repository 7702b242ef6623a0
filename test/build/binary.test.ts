import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { connect } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync } from 'node:zlib'
import { slices } from '../../src/app.ts'
import { describeDatastar, inspectVendoredDatastar } from '../../src/core/web/datastar-pin.ts'
import { freePort, runProcess } from '../fixtures/process.ts'
import { writeSelfSignedCertificate } from '../fixtures/self-signed.ts'

// Builds the real binary, copies ONLY that file into an empty directory and runs it there: what a VPS gets.
// Slow (a full compile), so it has generous timeouts; SKIP_BINARY_TEST=1 skips it for quick local loops.
const ROOT = join(import.meta.dir, '../..')
const skip = process.env.SKIP_BINARY_TEST === '1'
const hasSamples = existsSync(join(ROOT, 'assets/samples/trips.parquet'))
const SAMPLE_QUERY = hasSamples
  ? 'SELECT 6 * 7 AS answer_from_duckdb, count(*) > 0 AS has_trips FROM samples.trips'
  : 'SELECT 6 * 7 AS answer_from_duckdb'
// What the build found in assets/vendor/ (the pin, an --unpinned record, or nothing): the binary must say the same.
const DATASTAR = `Datastar: ${describeDatastar(inspectVendoredDatastar(join(ROOT, 'assets')))}`
const hasRoute = (prefix: string) =>
  slices.some((slice) => slice.nav?.href === prefix || slice.name === prefix.slice(1))

describe.skipIf(skip)('the compiled binary, alone in a fresh directory', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ironstar-binary-'))
  const runDir = join(scratch, 'run')
  const binary = join(runDir, 'ironstar')
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(scratch, 'home'),
    XDG_CACHE_HOME: join(scratch, 'cache'),
    DATA_DIR: join(runDir, 'data'),
    HOST: '127.0.0.1',
    PUBLIC_ORIGIN: 'https://app.example.com',
  }
  let server: ReturnType<typeof Bun.spawn> | null = null
  let serverOutput: Promise<string> = Promise.resolve('')
  let base = ''
  let startupMs = 0
  let cookie = ''

  const run = (args: string[], extra: Record<string, string> = {}) =>
    runProcess([binary, ...args], { cwd: runDir, env: { ...env, ...extra } })

  const get = async (path: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { headers: { cookie, ...headers }, redirect: 'manual', decompress: false } as RequestInit)

  beforeAll(async () => {
    const built = Bun.spawnSync(
      ['bun', 'build.ts', '--outfile', join(scratch, 'dist/ironstar'), '--work-dir', join(scratch, 'work')],
      { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' },
    )
    if (!built.success) throw new Error(`Cannot build the binary: ${built.stderr.toString()}`)
    mkdirSync(runDir, { recursive: true })
    copyFileSync(join(scratch, 'dist/ironstar'), binary)
    Bun.spawnSync(['chmod', '+x', binary])
    rmSync(join(scratch, 'dist'), { recursive: true, force: true })
    rmSync(join(scratch, 'work'), { recursive: true, force: true })
  }, 180_000)

  afterAll(async () => {
    if (server) {
      server.kill('SIGTERM')
      await server.exited
    }
    rmSync(scratch, { recursive: true, force: true })
  })

  it('is one file beside nothing, and prints its version and help', async () => {
    expect(readdirSync(runDir)).toEqual(['ironstar'])
    const version = await run(['version'])
    expect(version.code).toBe(0)
    expect(version.stdout).toMatch(/^ironstar \d+\.\d+\.\d+ \(commit ([0-9a-f]+|unknown), built \d{4}-/)
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: ironstar [command]')
    expect(help.stdout).toMatch(/IRONSTAR_ENV +production +development \| production \| test; unset: production,/)
    const bad = await run(['nonsense'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('Cannot run "nonsense": it is not a command')
  }, 30_000)

  it('extracts DuckDB to the cache once and runs a query with it', async () => {
    const first = await run(['doctor'])
    expect(first.stdout).toMatch(/^ok +duckdb +DuckDB v\d/m)
    expect(first.stdout).toMatch(/^ok +assets +embedded, hashed/m)
    expect(first.stdout).toContain(`ok   datastar  ${DATASTAR}\n`)
    expect(first.code).toBe(0)
    const cached = readdirSync(join(scratch, 'cache/ironstar'))
    expect(cached).toHaveLength(1)
    expect(cached[0]).toMatch(/^duckdb-[0-9a-f]{16}$/)
    expect(readdirSync(join(scratch, 'cache/ironstar', cached[0] as string)).sort()).toContain('duckdb.node')
  }, 60_000)

  it('starts on a free port in production mode', async () => {
    const probe = Bun.serve({ port: 0, fetch: () => new Response() })
    const port = probe.port as number
    await probe.stop(true)
    base = `http://127.0.0.1:${port}`
    const started = performance.now()
    server = Bun.spawn([binary], {
      cwd: runDir,
      env: { ...env, PORT: String(port) },
      stdout: 'pipe',
      stderr: 'inherit',
    })
    // Drained as it runs (a full pipe would block the server's logging), checked once it has stopped.
    serverOutput = new Response(server.stdout as ReadableStream).text()
    for (let i = 0; i < 200; i++) {
      const ok = await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) break
      await Bun.sleep(25)
    }
    startupMs = performance.now() - started
    const health = await fetch(`${base}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok' })
    console.log(
      `binary: ${(statSync(binary).size / 1_048_576).toFixed(1)} MB, healthz after ${startupMs.toFixed(0)} ms`,
    )
  }, 30_000)

  it('serves HTTPS with HTTP/2 from TLS_CERT and TLS_KEY, beside the plain one', async () => {
    const { certPath, keyPath } = writeSelfSignedCertificate(scratch)
    const ca = readFileSync(certPath, 'utf8')
    const origin = `https://127.0.0.1:${freePort()}`
    const tlsEnv = {
      PORT: new URL(origin).port,
      DATA_DIR: join(scratch, 'tls-data'),
      TLS_CERT: certPath,
      TLS_KEY: keyPath,
    }
    const secure = Bun.spawn([binary], { cwd: runDir, env: { ...env, ...tlsEnv }, stdout: 'ignore', stderr: 'inherit' })
    try {
      let ready = false
      for (let i = 0; i < 200 && !ready; i++, await Bun.sleep(25)) {
        ready = await fetch(`${origin}/healthz`, { tls: { ca } }).then(
          (r) => r.ok,
          () => false,
        )
      }
      expect(ready).toBe(true)
      const session = connect(origin, { ca })
      const status = await new Promise((resolve, reject) => {
        session.on('error', reject)
        const stream = session.request({ ':path': '/healthz' })
        stream.on('response', (headers) => resolve(headers[':status']))
        stream.resume()
      })
      expect(session.alpnProtocol).toBe('h2')
      expect(status).toBe(200)
      session.close()
    } finally {
      secure.kill('SIGTERM')
      await secure.exited
    }
  }, 30_000)

  it('serves the landing page and its hashed assets as immutable, brotli-compressed files', async () => {
    const page = await get('/')
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toBe('no-cache')
    const html = await page.text()
    const css = html.match(/href="(\/assets\/app-[a-z0-9]+\.css)"/)?.[1]
    expect(css).toBeDefined()
    const asset = await get(css as string, { 'Accept-Encoding': 'br, gzip' })
    expect(asset.status).toBe(200)
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(asset.headers.get('content-encoding')).toBe('br')
    expect(asset.headers.get('vary')).toBe('Accept-Encoding')
    expect(asset.headers.get('etag')).toMatch(/^"[0-9a-f]+"$/)
    expect(brotliDecompressSync(Buffer.from(await asset.arrayBuffer())).toString()).toContain('{')
    const again = await get(css as string, { 'If-None-Match': asset.headers.get('etag') as string })
    expect(again.status).toBe(304)
    expect((await get('/assets/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404)
    expect((await get('/__dev/reload')).status).toBe(404)
  })

  it('serves the icon sprite the page references as an immutable, compressed file holding every icon it uses', async () => {
    const html = await (await get('/')).text()
    const uses = [...html.matchAll(/<use href="(\/assets\/icons-[0-9a-f]{8}\.svg)#([a-z-]+)"\/>/g)]
    expect(uses.length).toBeGreaterThan(5)
    const urls = new Set(uses.map((m) => m[1]))
    expect(urls.size).toBe(1)
    const sprite = await get([...urls][0] as string, { 'Accept-Encoding': 'br' })
    expect(sprite.status).toBe(200)
    expect(sprite.headers.get('content-type')).toStartWith('image/svg+xml')
    expect(sprite.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(sprite.headers.get('content-encoding')).toBe('br')
    const svg = brotliDecompressSync(Buffer.from(await sprite.arrayBuffer())).toString()
    for (const name of new Set(uses.map((m) => m[2]))) expect(svg).toContain(`<symbol id="${name}" `)
  })

  it.skipIf(!hasRoute('/todos'))('adds a todo over plain HTTP and shows it on the page', async () => {
    const first = await get('/todos')
    expect(first.status).toBe(200)
    cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    const added = await fetch(`${base}/todos`, {
      method: 'POST',
      headers: { cookie, Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'text=Ship+the+binary',
      redirect: 'manual',
    })
    expect(added.status).toBe(303)
    cookie ||= (added.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    const page = await get('/todos')
    expect(await page.text()).toContain('Ship the binary')
  })

  it.skipIf(!hasRoute('/analytics'))(
    'runs an analytics query through the embedded DuckDB',
    async () => {
      expect((await get('/analytics')).status).toBe(200)
      const posted = await fetch(`${base}/analytics/explore`, {
        method: 'POST',
        headers: { cookie, Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
        // Reads a bundled Parquet sample when there is one: the binary must have written it out for DuckDB.
        body: new URLSearchParams({ sql: SAMPLE_QUERY }).toString(),
        redirect: 'manual',
      })
      expect(posted.status).toBe(303)
      const location = posted.headers.get('location') as string
      expect(location).toMatch(/^\/analytics\/explore\?q=/)
      // The query runs in the background; its result appears on the page when DuckDB answers.
      let page = ''
      for (let i = 0; i < 100 && !/answer_from_duckdb[\s\S]*>42</.test(page); i++, await Bun.sleep(50)) {
        page = await (await get(location)).text()
      }
      expect(page).toMatch(/answer_from_duckdb[\s\S]*>42</)
    },
    30_000,
  )

  it('exposes /metrics and /readyz', async () => {
    const metrics = await (await get('/metrics')).text()
    expect(metrics).toContain('# TYPE ironstar_http_requests_total counter')
    expect(metrics).toMatch(/ironstar_http_requests_total\{method="GET",route="\/",status="200"\} \d+/)
    // Ready once every projection (DuckDB ingestion included) has reached the log's head: poll briefly.
    let ready = 0
    for (let i = 0; i < 40 && ready !== 200; i++, await Bun.sleep(50)) ready = (await get('/readyz')).status
    expect(ready).toBe(200)
  })

  it('backs up the live database to a copy that opens and holds the events', async () => {
    const target = join(scratch, 'backup.sqlite')
    const result = await run(['backup', target])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const copy = new Database(target, { readonly: true })
    const { n } = copy.query('SELECT count(*) AS n FROM events').get() as { n: number }
    copy.close()
    expect(n).toBeGreaterThanOrEqual(hasRoute('/todos') ? 1 : 0)
    expect(existsSync(target)).toBe(true)
  }, 30_000)

  it('refuses a second server on the same port with a clear message', async () => {
    const port = new URL(base).port
    // Its own data directory: with the same one, DuckDB's lock on analytics refuses it first.
    const second = await run(['serve'], { PORT: port, DATA_DIR: join(scratch, 'second-data') })
    expect(second.code).toBe(1)
    expect(second.stderr).toContain(`Cannot listen on 127.0.0.1:${port}: the port is in use`)
  }, 30_000)

  it('stops cleanly on SIGTERM, having logged one JSON object per line', async () => {
    server?.kill('SIGTERM')
    expect(await server?.exited).toBe(0)
    server = null
    const lines = (await serverOutput).trim().split('\n')
    const records = lines.map((line) => JSON.parse(line) as { level: string; msg: string; route?: string })
    expect(records[0]?.msg).toStartWith('Ironstar listening on http://127.0.0.1:')
    expect(records[0]?.msg).toEndWith(`; ${DATASTAR}`)
    expect(records.some((r) => r.msg === 'request' && r.route === '/todos')).toBe(hasRoute('/todos'))
    expect(records.at(-1)?.msg).toBe('Shutting down')
  }, 30_000)
})

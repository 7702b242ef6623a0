import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { type ClientHttp2Session, connect, type IncomingHttpHeaders } from 'node:http2'
import { request as http1Request } from 'node:https'
import { join } from 'node:path'
import { constants, createGunzip } from 'node:zlib'
import { ConfigError, loadConfig } from '../src/config.ts'
import { type RunningServer, startServer } from '../src/server.ts'
import { ROOT, runProcess, sqliteEnv } from './fixtures/process.ts'
import { writeSelfSignedCertificate } from './fixtures/self-signed.ts'
import { makeTempDir } from './fixtures/store.ts'

const dir = makeTempDir('ironstar-https-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const files = writeSelfSignedCertificate(dir)
const ca = readFileSync(files.certPath, 'utf8')
const tlsEnv = { TLS_CERT: files.certPath, TLS_KEY: files.keyPath }

interface Answer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** One request on an HTTP/2 session, read to its end. */
function h2(session: ClientHttp2Session, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers)
    let text = ''
    let answered: IncomingHttpHeaders = {}
    stream.setEncoding('utf8')
    stream.on('response', (h) => (answered = h))
    stream.on('data', (chunk: string) => (text += chunk))
    stream.on('end', () => resolve({ status: Number(answered[':status']), headers: answered, body: text }))
    stream.on('error', reject)
    stream.end(body)
  })
}

/** A feed on an HTTP/2 session, decoded from gzip as it arrives. */
function openGzipFeed(session: ClientHttp2Session, path: string, cookie: string) {
  const stream = session.request({ ':path': path, 'accept-encoding': 'gzip', cookie })
  const decoded = createGunzip({ flush: constants.Z_SYNC_FLUSH })
  let text = ''
  const headers = new Promise<IncomingHttpHeaders>((resolve) => stream.once('response', resolve))
  stream.pipe(decoded)
  decoded.setEncoding('utf8')
  decoded.on('data', (chunk: string) => (text += chunk))
  return {
    headers,
    /** Resolves with the text so far once it contains `needle`, or fails after `timeoutMs`. */
    async waitFor(needle: string, timeoutMs = 3_000): Promise<string> {
      const deadline = Date.now() + timeoutMs
      while (!text.includes(needle)) {
        if (Date.now() > deadline) throw new Error(`The feed did not send "${needle}" within ${timeoutMs} ms`)
        await Bun.sleep(20)
      }
      return text
    },
    close() {
      // Cut off mid-stream on purpose: the decoder's "unexpected end of file" is not news.
      stream.unpipe(decoded)
      decoded.destroy()
      stream.close()
    },
  }
}

describe('a server with TLS_CERT and TLS_KEY', () => {
  let server: RunningServer
  let session: ClientHttp2Session
  beforeAll(async () => {
    const env = { PORT: '0', IRONSTAR_ENV: 'test', DATA_DIR: join(dir, 'data'), KEEPALIVE_MS: '200', ...tlsEnv }
    server = await startServer(loadConfig(env))
    session = connect(server.url.origin, { ca })
    await new Promise((resolve, reject) => session.once('connect', resolve).once('error', reject))
  })
  afterAll(async () => {
    session?.close()
    await server?.stop()
  })

  it('serves HTTPS and negotiates HTTP/2 through ALPN, pages included', async () => {
    expect(server.url.protocol).toBe('https:')
    expect(session.alpnProtocol).toBe('h2')
    const page = await h2(session, { ':path': '/todos' })
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toStartWith('text/html')
    expect(page.body).toContain('id="todo-app"')
  })

  it('sets the session cookie Secure, since the page came over TLS', async () => {
    const page = await h2(session, { ':path': '/todos' })
    expect(String(page.headers['set-cookie'])).toMatch(/^session=[^;]+;.*; Secure$/)
  })

  it('still serves HTTP/1.1 to a client that offers only it', async () => {
    const answer = await new Promise<{ version: string; status?: number; body: string }>((resolve, reject) => {
      const options = { ca, ALPNProtocols: ['http/1.1'] }
      const req = http1Request(new URL('/todos', server.url), options, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ version: res.httpVersion, status: res.statusCode, body }))
      })
      req.on('error', reject)
      req.end()
    })
    expect(answer).toMatchObject({ version: '1.1', status: 200 })
    expect(answer.body).toContain('id="todo-app"')
  })

  it('streams a compressed feed over HTTP/2 that follows a command sent on the same connection', async () => {
    const page = await h2(session, { ':path': '/todos' })
    const cookie = String(page.headers['set-cookie']).split(';')[0] as string
    const feed = openGzipFeed(session, '/todos/feed', cookie)
    try {
      const headers = await feed.headers
      expect(Number(headers[':status'])).toBe(200)
      expect(headers['content-type']).toBe('text/event-stream')
      expect(headers['content-encoding']).toBe('gzip')
      await feed.waitFor('event: datastar-patch-elements')
      const added = await h2(
        session,
        {
          ':method': 'POST',
          ':path': '/todos',
          origin: server.url.origin,
          cookie,
          'content-type': 'application/x-www-form-urlencoded',
        },
        'text=Sent+over+h2',
      )
      expect(added.status).toBe(303)
      const text = await feed.waitFor('Sent over h2')
      expect(text).toContain(': feed open')
    } finally {
      feed.close()
    }
  })

  it('takes commands from its https origin only: an http page of the same host is another origin', async () => {
    const before = await server.app.store.headPosition()
    const refused = await h2(
      session,
      {
        ':method': 'POST',
        ':path': '/todos',
        origin: `http://${server.url.host}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      'text=From+http',
    )
    expect(refused.status).toBe(403)
    expect(refused.body).toContain(`is not ${server.url.origin}`)
    expect(await server.app.store.headPosition()).toBe(before)
  })
})

describe('a bad TLS setup refuses to start with one sentence', () => {
  const base = { PORT: '0', IRONSTAR_ENV: 'test' } as const

  it('refuses a certificate without its key, and a key without its certificate', () => {
    expect(() => loadConfig({ ...base, TLS_CERT: files.certPath })).toThrow(
      new ConfigError('Cannot serve HTTPS with only TLS_CERT set: set TLS_KEY too, or neither for plain HTTP'),
    )
    expect(() => loadConfig({ ...base, TLS_KEY: files.keyPath })).toThrow(
      new ConfigError('Cannot serve HTTPS with only TLS_KEY set: set TLS_CERT too, or neither for plain HTTP'),
    )
  })

  mkdirSync(join(dir, 'other'))
  const other = writeSelfSignedCertificate(join(dir, 'other'))
  const garbage = join(dir, 'garbage.pem')
  writeFileSync(garbage, 'not a pem file\n')
  const cases: [string, Record<string, string>, string][] = [
    [
      'a missing certificate',
      { ...tlsEnv, TLS_CERT: join(dir, 'nope.pem') },
      `TLS_CERT "${join(dir, 'nope.pem')}": there is no such file`,
    ],
    ['an unreadable key (a directory)', { ...tlsEnv, TLS_KEY: dir }, `TLS_KEY "${dir}": it cannot be read (EISDIR)`],
    [
      'a certificate that is not one',
      { ...tlsEnv, TLS_CERT: garbage },
      `TLS_CERT "${garbage}": it is not a PEM certificate`,
    ],
    [
      'a key that is not one',
      { ...tlsEnv, TLS_KEY: files.certPath },
      `TLS_KEY "${files.certPath}": it is not an unencrypted PEM private key`,
    ],
    [
      'the key of another certificate',
      { ...tlsEnv, TLS_KEY: other.keyPath },
      `TLS_KEY "${other.keyPath}": it is not the private key of the certificate in TLS_CERT`,
    ],
  ]
  for (const [name, env, message] of cases) {
    it(`refuses ${name} before it opens anything`, async () => {
      const dataDir = join(dir, `data-${name.replaceAll(' ', '-')}`)
      const starting = startServer(loadConfig({ ...base, DATA_DIR: dataDir, ...env }))
      await expect(starting).rejects.toThrow(ConfigError)
      await expect(starting).rejects.toThrow(`Cannot use ${message}`)
      expect(existsSync(dataDir)).toBe(false)
    })
  }

  it('makes `serve` exit with code 2 and the sentence alone', async () => {
    const missing = join(dir, 'nope.pem')
    const env = { ...sqliteEnv(), IRONSTAR_ENV: 'test', PORT: '0', DATA_DIR: join(dir, 'cli-data') }
    const bad = await runProcess(['bun', 'src/main.ts', 'serve'], {
      cwd: ROOT,
      env: { ...env, ...tlsEnv, TLS_CERT: missing },
    })
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim()).toBe(
      `Cannot use TLS_CERT "${missing}": there is no such file; set it to the certificate's PEM file`,
    )
    const half = await runProcess(['bun', 'src/main.ts', 'serve'], {
      cwd: ROOT,
      env: { ...env, TLS_KEY: files.keyPath },
    })
    expect(half.code).toBe(2)
    expect(half.stderr.trim()).toBe(
      'Cannot serve HTTPS with only TLS_KEY set: set TLS_CERT too, or neither for plain HTTP',
    )
  }, 20_000)
})

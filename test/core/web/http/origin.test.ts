import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { networkInterfaces } from 'node:os'
import { loadConfig } from '../../../../src/config.ts'
import { createOriginPolicy } from '../../../../src/core/web/http/origin.ts'
import { startServer } from '../../../../src/server.ts'
import { startTestServer, type TestServer } from './test-slice.ts'

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' }

function post(t: TestServer, headers: Record<string, string>): Promise<Response> {
  return fetch(new URL('/notes', t.url), {
    method: 'POST',
    body: 'text=hello',
    headers: { ...FORM, ...headers },
    redirect: 'manual',
  })
}

describe('an operator-set PUBLIC_ORIGIN', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer({ PUBLIC_ORIGIN: 'https://app.example.com' })
  })
  afterAll(() => t.stop())

  it('refuses a page, an asset and /healthz asked for under another host name (DNS rebinding) with 421', async () => {
    for (const path of ['/notes', '/assets/favicon.svg', '/healthz']) {
      const response = await fetch(new URL(path, t.url), {
        headers: { Host: `rebound.attacker.example:${t.url.port}` },
      })
      expect(response.status).toBe(421)
      const body = await response.text()
      expect(body).toContain('Cannot answer for &quot;rebound.attacker.example:')
      expect(body).toContain('https://app.example.com')
    }
  })

  it('refuses a same-origin-looking POST from a rebound page, and writes nothing', async () => {
    const before = await t.headPosition()
    const rebound = `rebound.attacker.example:${t.url.port}`
    const response = await post(t, { Host: rebound, Origin: `http://${rebound}`, 'Sec-Fetch-Site': 'same-origin' })
    expect(response.status).toBe(421)
    expect(await t.headPosition()).toBe(before)
  })

  it('compares the scheme: an http page of the public host may not post', async () => {
    const before = await t.headPosition()
    const response = await post(t, { Host: 'app.example.com', Origin: 'http://app.example.com' })
    expect(response.status).toBe(403)
    expect(await response.text()).toContain('Origin &quot;http://app.example.com&quot; is not https://app.example.com')
    expect(await t.headPosition()).toBe(before)
  })

  it('accepts a POST from the public origin, with the Host a proxy passes on, with or without the port', async () => {
    for (const host of ['app.example.com', 'app.example.com:443']) {
      const response = await post(t, { Host: host, Origin: 'https://app.example.com', 'Sec-Fetch-Site': 'same-origin' })
      expect(response.status).toBe(303)
    }
  })

  it('still answers the machine itself (a health check, a tunnel) on its loopback address', async () => {
    expect((await fetch(new URL('/healthz', t.url))).status).toBe(200)
    const response = await post(t, { Origin: t.url.origin })
    expect(response.status).toBe(303)
  })

  it('refuses an opaque Origin (a sandboxed frame) and a cross-site Sec-Fetch-Site without Origin', async () => {
    expect((await post(t, { Host: 'app.example.com', Origin: 'null' })).status).toBe(403)
    expect((await post(t, { Host: 'app.example.com', 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403)
  })
})

describe('the default origin in development and test', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer({ HOST: '127.0.0.1' })
  })
  afterAll(() => t.stop())

  it('follows the port actually bound (PORT=0) and accepts localhost and 127.0.0.1 alike', async () => {
    const port = t.url.port
    expect(port).not.toBe('0')
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]) {
      const host = new URL(origin).host
      expect((await post(t, { Host: host, Origin: origin, 'Sec-Fetch-Site': 'same-origin' })).status).toBe(303)
    }
  })

  it('refuses another port on the same machine, and another host name for the same address', async () => {
    const otherPort = String(Number(t.url.port) === 65_535 ? 1 : Number(t.url.port) + 1)
    expect((await post(t, { Origin: `http://127.0.0.1:${otherPort}` })).status).toBe(403)
    expect((await post(t, { Origin: `https://127.0.0.1:${t.url.port}` })).status).toBe(403)
    const response = await fetch(new URL('/notes', t.url), { headers: { Host: `my-laptop.example:${t.url.port}` } })
    expect(response.status).toBe(421)
    expect(await response.text()).toContain(`this site is http://127.0.0.1:${t.url.port}`)
  })
})

const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address

describe.skipIf(!lanAddress)('bound to every interface (HOST=0.0.0.0) in development', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer({ HOST: '0.0.0.0', IRONSTAR_ENV: 'development' })
  })
  afterAll(() => t.stop())

  it("answers this machine's own addresses (a phone on the LAN), never a name", async () => {
    const port = t.url.port
    const url = new URL(`/notes`, `http://127.0.0.1:${port}`)
    expect((await fetch(url, { headers: { Host: `${lanAddress}:${port}` } })).status).toBe(200)
    expect((await fetch(url, { headers: { Host: `lan-name.example:${port}` } })).status).toBe(421)
  })
})

describe('production without PUBLIC_ORIGIN', () => {
  it('refuses to start, naming the variable, before it opens anything', async () => {
    const config = loadConfig({ PORT: '0', DATA_DIR: '/nonexistent/ironstar', IRONSTAR_ENV: 'production' })
    await expect(startServer(config)).rejects.toThrow(
      'Cannot serve in production without PUBLIC_ORIGIN: set it to the address visitors use',
    )
  })
})

describe('the origin policy of a listener that speaks TLS', () => {
  it("gives the machine's own names https origins, which is what its pages send", () => {
    const policy = createOriginPolicy({ publicOrigins: [], hostname: '127.0.0.1', port: 3443, scheme: 'https:' })
    expect([...policy.origins]).toContain('https://127.0.0.1:3443')
    expect([...policy.origins]).toContain('https://localhost:3443')
    expect([...policy.origins].some((origin) => origin.startsWith('http:'))).toBe(false)
    expect(policy.publicOrigins).toEqual(['https://127.0.0.1:3443'])
  })

  it("leaves 443 out as browsers do, and not 80, which is plain HTTP's", () => {
    const on443 = createOriginPolicy({ publicOrigins: [], hostname: 'localhost', port: 443, scheme: 'https:' })
    expect(on443.origins.has('https://localhost')).toBe(true)
    expect(on443.hosts.has('localhost')).toBe(true)
    const on80 = createOriginPolicy({ publicOrigins: [], hostname: 'localhost', port: 80, scheme: 'https:' })
    expect(on80.hosts.has('localhost')).toBe(false)
    expect(on80.hosts.has('localhost:80')).toBe(true)
  })
})

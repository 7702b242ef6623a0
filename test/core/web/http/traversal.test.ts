import { afterAll, beforeAll, expect, it } from 'bun:test'
import { startTestServer, type TestServer } from './test-slice.ts'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(() => t.stop())

/** Sends the request line byte for byte: fetch() would normalise `..` away before sending. */
async function rawStatus(path: string): Promise<number> {
  const { promise, resolve, reject } = Promise.withResolvers<string>()
  let received = ''
  const socket = await Bun.connect({
    hostname: t.url.hostname,
    port: Number(t.url.port),
    socket: {
      data(_socket, chunk) {
        received += chunk.toString()
        if (received.includes('\r\n')) resolve(received)
      },
      error: (_socket, error) => reject(error),
      close: () => resolve(received),
    },
  })
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${t.url.host}\r\nConnection: close\r\n\r\n`)
  const head = await promise
  socket.end()
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
}

it('serves a real asset, so the 404s below are about the paths', async () => {
  expect(await rawStatus('/assets/favicon.svg')).toBe(200)
})

it('answers traversal attempts under /assets with 404, plain and encoded', async () => {
  for (const path of [
    '/assets/../package.json',
    '/assets/../../etc/passwd',
    '/assets/%2e%2e/package.json',
    '/assets/%2E%2E%2Fpackage.json',
    '/assets/..%2fpackage.json',
    '/assets/..%5cpackage.json',
    '/assets/vendor/..%2f..%2fpackage.json',
    '/assets/%252e%252e/package.json',
    '/assets//etc/passwd',
  ]) {
    expect({ path, status: await rawStatus(path) }).toEqual({ path, status: 404 })
  }
})

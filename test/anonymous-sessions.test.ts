import { Database } from 'bun:sqlite'
import { afterAll, describe, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { slices } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { SseConnection } from '../src/core/testing/sse-client.ts'
import { type RunningServer, startServer } from '../src/server.ts'
import { makeTempDir } from './fixtures/store.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

async function start(): Promise<{ server: RunningServer; dir: string }> {
  const dir = makeTempDir('ironstar-anonymous-')
  dirs.push(dir)
  return { server: await startServer(loadConfig({ PORT: '0', DATA_DIR: dir, IRONSTAR_ENV: 'test' })), dir }
}

/** Sessions on disk once the server has stopped (which writes whatever it had queued). */
function storedSessions(dir: string): number {
  const db = new Database(join(dir, 'ironstar.sqlite'), { readonly: true })
  try {
    return (db.query('SELECT count(*) AS n FROM sessions').get() as { n: number }).n
  } finally {
    db.close()
  }
}

/** Every GET route of every slice, with a placeholder for each parameter. */
function everyGetPath(server: RunningServer): string[] {
  return slices.flatMap((slice) =>
    Object.entries(slice.routes(server.app))
      .filter(([, methods]) => methods.GET)
      .map(([path]) => path.replace(/:(\w+)/g, 'no-such-$1')),
  )
}

/** A GET as a visitor makes it; a feed is read until its headers arrive, then dropped like a closed tab. */
async function visit(url: URL, headers: Record<string, string> = {}): Promise<Response> {
  const controller = new AbortController()
  const response = await fetch(url, { headers, signal: controller.signal, redirect: 'manual' })
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) controller.abort()
  else await response.arrayBuffer()
  return response
}

const sessionCookie = (response: Response) => /^(session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1]

describe('visitors who only read', () => {
  it('store no session: repeated GETs of every page and feed, with and without the cookie, write no row', async () => {
    const { server, dir } = await start()
    const paths = everyGetPath(server)
    expect(paths).toContain('/todos')
    expect(paths).toContain('/todos/feed')
    let cookie: string | undefined
    for (const path of paths) {
      for (let i = 0; i < 3; i++) {
        const response = await visit(new URL(path, server.url))
        expect(response.status).toBeLessThan(500)
        cookie ??= sessionCookie(response)
      }
    }
    expect(cookie).toBeDefined()
    for (const path of paths) {
      const response = await visit(new URL(path, server.url), { Cookie: cookie as string })
      expect(sessionCookie(response)).toBeUndefined() // the unstored session is kept as it is
    }
    await server.stop()
    expect(storedSessions(dir)).toBe(0)
  }, 30_000)

  it('store it on their first command, under the id their open pages already show, so every tab follows', async () => {
    const { server, dir } = await start()
    const page = await visit(new URL('/todos', server.url))
    const cookie = sessionCookie(page) as string
    const tab = await SseConnection.open(new URL('/todos/feed', server.url), { headers: { Cookie: cookie } })
    expect((await tab.next())?.event).toBe('datastar-patch-elements') // the empty list

    const add = await fetch(new URL('/todos', server.url), {
      method: 'POST',
      body: 'text=written+by+the+first+command',
      headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    })
    expect(add.status).toBe(303)
    expect((await tab.next())?.data).toContain('written by the first command')
    tab.close()
    const again = await (await fetch(new URL('/todos', server.url), { headers: { Cookie: cookie } })).text()
    expect(again).toContain('written by the first command')
    await server.stop()
    expect(storedSessions(dir)).toBe(1)
  }, 30_000)
})

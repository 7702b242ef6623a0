import { afterAll, describe, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { SQL } from 'bun'
import { ConfigError, loadConfig } from '../src/config.ts'
import { SseConnection } from '../src/core/testing/sse-client.ts'
import { startServer } from '../src/server.ts'
import { pgUrl } from './fixtures/postgres.ts'
import { createPostgresDatabase } from './fixtures/postgres-database.ts'
import { freePort } from './fixtures/process.ts'
import { makeTempDir } from './fixtures/store.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function configWith(env: Record<string, string>) {
  const dir = makeTempDir('ironstar-pg-server-')
  dirs.push(dir)
  return loadConfig({ PORT: '0', DATA_DIR: dir, IRONSTAR_ENV: 'test', ...env })
}

describe('DATABASE_URL that cannot be reached', () => {
  it('refuses the start with one sentence naming the server, never the password', async () => {
    const url = `postgres://app:hunter2@127.0.0.1:${freePort()}/ironstar`
    const starting = startServer(configWith({ DATABASE_URL: url }))
    await expect(starting).rejects.toBeInstanceOf(ConfigError)
    const error = (await starting.catch((e: unknown) => e)) as Error
    expect(error.message).toStartWith(`Cannot connect to PostgreSQL at 127.0.0.1:${new URL(url).port}/ironstar: `)
    expect(error.message).not.toContain('hunter2')
    expect(error.message.split('\n')).toHaveLength(1)
  }, 15_000)
})

describe.skipIf(!pgUrl)('a server with DATABASE_URL', () => {
  it('keeps events and sessions in PostgreSQL, and feeds its pages through the fan-out', async () => {
    const database = await createPostgresDatabase()
    const server = await startServer(configWith({ DATABASE_URL: database.url }))
    const sql = new SQL(database.url, { max: 1 })
    try {
      const feed = await SseConnection.open(new URL('/counter/feed', server.url))
      // One patch per fragment: the shared card, then the visitor's own.
      for (const id of ['counter-global', 'counter-session']) {
        const opening = await feed.next()
        expect(opening?.data).toContain(`elements <article id="${id}"`)
        expect(opening?.data).toContain('<output>0</output>')
      }
      // A refused command stores no session; the accepted one below stores its own before it answers.
      const refused = await fetch(new URL('/todos', server.url), {
        method: 'POST',
        body: 'text=',
        headers: { Origin: server.url.origin, 'Content-Type': 'application/x-www-form-urlencoded' },
        redirect: 'manual',
      })
      expect(refused.status).toBe(422)
      const response = await fetch(new URL('/counter/global/increment', server.url), {
        method: 'POST',
        headers: { Origin: server.url.origin },
        redirect: 'manual',
      })
      expect(response.status).toBe(303)
      expect(response.headers.get('set-cookie')).toStartWith('session=')
      const [events] = await sql`SELECT count(*)::int AS n FROM events`
      expect(events.n).toBe(1)
      const [sessions] = await sql`SELECT count(*)::int AS n FROM sessions`
      expect(sessions.n).toBe(1)
      // The node-local SQLite file holds neither.
      expect(server.app.db.query('SELECT count(*) AS n FROM events').get()).toEqual({ n: 0 })
      expect(server.app.db.query('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 })
      // The fan-out fed the ring, and the feed with it.
      expect((await feed.next())?.data).toContain('<output>1</output>')
      expect(server.app.bus.counters()).toMatchObject({ position: 1, published: 1 })
      feed.close()
    } finally {
      await server.stop()
      await sql.close()
      await database.close()
    }
  }, 20_000)
})

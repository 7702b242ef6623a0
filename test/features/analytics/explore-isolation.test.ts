import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { analytics } from '../../../src/features/analytics/index.ts'
import { todos } from '../../../src/features/todo/index.ts'
import { type AppServer, type Client, startAppServer } from '../app-server.ts'

let app: AppServer

beforeAll(async () => {
  app = await startAppServer([todos, analytics])
})

afterAll(() => app.close())

async function outcome(client: Client, sql: string): Promise<{ status: number; page: string }> {
  const response = await client.post('/analytics/explore', { sql })
  if (response.status !== 303) return { status: response.status, page: await response.text() }
  const queryId = new URL(response.headers.get('location') ?? '', 'http://x').searchParams.get('q') as string
  for (let i = 0; i < 200; i++) {
    const events = await app.server.app.store.readStream({ type: 'query-session', id: queryId })
    if (events.length > 1) break
    await Bun.sleep(25)
  }
  return { status: 303, page: await (await client.get(`/analytics/explore?q=${queryId}`)).text() }
}

describe('/analytics/explore shows no other session’s data', () => {
  it("never shows one visitor another's todo text, SQL or owner key", async () => {
    const owner = app.client()
    expect((await owner.post('/todos', { text: 'Owner secret 7e21' })).status).toBe(303)
    await outcome(owner, "SELECT 'owner query marker 5b90' AS mine")
    const events = await app.server.app.store.readAll()
    const ownerKey = events.find((event) => event.stream.type === 'todo-list')?.stream.id ?? ''
    expect(ownerKey).not.toBe('')

    const visitor = app.client()
    await visitor.get('/analytics/explore')
    const attempts = [
      'SELECT * FROM events',
      'SELECT * FROM todo_lifecycle',
      'SELECT payload FROM events',
      "SELECT * FROM events WHERE payload LIKE '%secret%'",
      'FROM memory.main.events',
      'SELECT list_id FROM todo_lifecycle',
      "FROM query_table('memory.main.events')",
      'SUMMARIZE memory.events',
    ]
    for (const sql of attempts) {
      const { status, page } = await outcome(visitor, sql)
      expect([303, 422]).toContain(status)
      expect(page).not.toContain('Owner secret 7e21')
      expect(page).not.toContain('owner query marker 5b90')
      expect(page).not.toContain(ownerKey)
    }
    // The plain tables still answer, just without anyone's content.
    const { page } = await outcome(visitor, 'SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type')
    expect(page).toContain('<td class="">TodoAdded</td>')
  })
})

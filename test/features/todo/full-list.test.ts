import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { parseElementsPatch, type SseEvent } from '../../../src/core/testing/sse-client.ts'
import { MAX_TEXT_LENGTH, MAX_TODOS } from '../../../src/features/todo/domain.ts'
import { todos } from '../../../src/features/todo/index.ts'
import { type AppServer, type Client, startAppServer } from '../app-server.ts'

let app: AppServer
let client: Client
let ids: string[]

const todoIds = (html: string) => [...html.matchAll(/<li id="todo-([^"]+)"/g)].map((m) => m[1] as string)

beforeAll(async () => {
  app = await startAppServer([todos])
  client = app.client()
  // The largest legal view: every todo at the longest text, of the character that escapes longest (`&quot;`).
  const text = '"'.repeat(MAX_TEXT_LENGTH)
  for (let i = 0; i < MAX_TODOS; i++) {
    const response = await client.post('/todos', { text })
    if (response.status !== 303) throw new Error(`Cannot fill the list: todo ${i} answered ${response.status}`)
  }
  ids = todoIds(await (await client.get('/todos')).text())
}, 60_000)

afterAll(() => app.close())

describe('a todo list at its maximum size', () => {
  it('is full: one more todo is refused', async () => {
    expect(ids).toHaveLength(MAX_TODOS)
    const before = await app.head()
    expect((await client.post('/todos', { text: 'one too many' })).status).toBe(422)
    expect(await app.head()).toBe(before)
  })

  for (const [index, encoding] of ['identity', 'gzip'].entries()) {
    it(`streams (${encoding}): the whole list as the first morph, then a live change`, async () => {
      const feed = await client.open('/todos/feed', { 'Accept-Encoding': encoding })
      try {
        const first = (await feed.next(5_000)) as SseEvent
        expect(first?.event).toBe('datastar-patch-elements')
        expect(todoIds(parseElementsPatch(first).elements)).toEqual(ids)
        const id = ids[index] as string
        expect((await client.post(`/todos/${id}/toggle`)).status).toBe(303)
        const live = (await feed.next(5_000)) as SseEvent
        expect(Number(live?.id)).toBeGreaterThan(Number(first.id))
        expect(parseElementsPatch(live).elements).toContain(`<li id="todo-${id}" class="todo-item is-completed`)
        expect(feed.isEnded).toBe(false)
      } finally {
        feed.close()
      }
    }, 20_000)
  }
})

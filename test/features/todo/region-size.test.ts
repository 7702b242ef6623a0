import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { parseElementsPatch, type SseEvent } from '../../../src/core/testing/sse-client.ts'
import { MAX_TODOS } from '../../../src/features/todo/domain.ts'
import { todos } from '../../../src/features/todo/index.ts'
import { type AppServer, type Client, startAppServer } from '../app-server.ts'

// Every change re-sends the whole region to every viewer, so its size is paid per event and per viewer.
// An item is ~2.35 KB of its own markup (three forms, the edit form, labels, its 36-character id a dozen
// times); its three icons are ~100 B each as references into the sprite, where inline they were ~320 B
// each (~3.3 KB an item, 334 KB the region). 2,800 B an item leaves room for longer texts, not for inline icons.
const MAX_BYTES_PER_ITEM = 2_800

let app: AppServer
let client: Client

beforeAll(async () => {
  app = await startAppServer([todos])
  client = app.client()
  for (let i = 0; i < MAX_TODOS; i++) {
    const response = await client.post('/todos', { text: `Task number ${i + 1}: water the plants` })
    if (response.status !== 303) throw new Error(`Cannot fill the list: todo ${i} answered ${response.status}`)
  }
}, 60_000)

afterAll(() => app.close())

describe('the todo region with 100 todos', () => {
  it('is sent as a morph of under 2.8 KB an item, its icons as sprite references', async () => {
    const feed = await client.open('/todos/feed', { 'Accept-Encoding': 'identity' })
    try {
      const { elements } = parseElementsPatch((await feed.next(5_000)) as SseEvent)
      expect(elements.match(/<li id="todo-/g)).toHaveLength(MAX_TODOS)
      expect(Buffer.byteLength(elements)).toBeLessThan(MAX_TODOS * MAX_BYTES_PER_ITEM)
      expect(elements).not.toContain('<path')
      expect(elements.match(/<use href="\/assets\/icons-[0-9a-f]{8}\.svg#(check|pencil|x)"\/>/g)?.length).toBe(
        3 * MAX_TODOS,
      )
    } finally {
      feed.close()
    }
  }, 20_000)
})

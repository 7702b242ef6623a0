import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { counter } from '../../../../src/features/counter/index.ts'
import { type AppServer, startAppServer } from '../../../features/app-server.ts'

/** The store's bound on appends waiting for a commit (SqliteEventStore's maxPending default). */
const WRITE_QUEUE_BOUND = 10_000

let app: AppServer
beforeAll(async () => {
  app = await startAppServer([counter], { listen: false })
})
afterAll(() => app.close())

const globalValue = async () =>
  /<output>([\d,]+)<\/output>/.exec(await (await app.client().get('/counter')).text())?.[1]

/**
 * Fills the write queue in one synchronous burst: the store commits only once the event loop turns.
 * Called right after a command is sent, at the start of a turn: the command waits for its turn in
 * a microtask, so it runs after the burst, in the same turn, against the full queue.
 */
function fillWriteQueue(round: string): Promise<unknown> {
  const filler = Array.from({ length: WRITE_QUEUE_BOUND }, (_, i) =>
    app.server.app.store.append({ type: 'counter', id: `session-filler-${round}-${i}` }, 0, [
      { type: 'CounterIncremented', data: { value: 1, at: new Date(0).toISOString() } },
    ]),
  )
  return Promise.all(filler)
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('a command while the event store write queue is full, through app.fetch', () => {
  it('is a 503 with Retry-After that writes nothing, and the next command after the queue drains succeeds', async () => {
    const client = app.client()
    expect(await globalValue()).toBe('0')
    await nextTurn()
    const sent = client.post('/counter/global/increment')
    const drained = fillWriteQueue('page')
    const refused = await sent
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff')
    const body = await refused.text()
    expect(body).toContain('The server is busy: try again in a moment')
    expect(body).not.toContain('Error id')

    await drained
    expect(await app.head()).toBe(WRITE_QUEUE_BOUND) // the filler only: the refused command wrote nothing
    expect(await globalValue()).toBe('0')
    const accepted = await client.post('/counter/global/increment')
    expect(accepted.status).toBe(303)
    expect(await globalValue()).toBe('1')
  })

  it('is a toast with status 503 and Retry-After for Datastar', async () => {
    await nextTurn()
    const sent = app.client().post('/counter/global/increment', {}, { datastar: true, json: true })
    const drained = fillWriteQueue('toast')
    const refused = await sent
    await drained
    expect(refused.headers.get('ironstar-status')).toBe('503')
    expect(refused.headers.get('retry-after')).toBe('1')
  })
})

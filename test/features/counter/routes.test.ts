import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { counter } from '../../../src/features/counter/index.ts'
import { type AppServer, startAppServer } from '../app-server.ts'

let app: AppServer
beforeAll(async () => {
  app = await startAppServer([counter], { listen: false })
})
afterAll(() => app.close())

const values = async (response: Response) =>
  [...(await response.text()).matchAll(/<output>([\d,]+)<\/output>/g)].map((m) => m[1])

describe('counter routes', () => {
  it('increments the global counter for everyone and the session counter for one session', async () => {
    const [ada, bob] = [app.client(), app.client()]
    expect(await values(await ada.get('/counter'))).toEqual(['0', '0'])
    const response = await ada.post('/counter/global/increment')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/counter')
    await ada.post('/counter/session/increment')
    await ada.post('/counter/session/increment')
    expect(await values(await ada.get('/counter'))).toEqual(['1', '2'])
    expect(await values(await bob.get('/counter'))).toEqual(['1', '0'])
  })

  it('answers a Datastar increment with 204', async () => {
    expect((await app.client().post('/counter/global/increment', {}, { datastar: true, json: true })).status).toBe(204)
  })

  it('refuses a body that is not an object, and a GET on a command path, writing nothing', async () => {
    const before = await app.head()
    const client = app.client()
    const bad = await app.send('/counter/global/increment', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '[1,2]',
    })
    expect(bad.status).toBe(400)
    expect((await client.get('/counter/global/increment')).status).toBe(405)
    expect(await app.head()).toBe(before)
  })

  it('refuses a cross-site post', async () => {
    const response = await app.send('/counter/global/increment', {
      method: 'POST',
      headers: { 'Sec-Fetch-Site': 'cross-site' },
    })
    expect(response.status).toBe(403)
  })

  it('GET /counter/feed sends each counter as a fragment of its own', async () => {
    const events = await app.client().feed('/counter/feed')
    expect(events).toHaveLength(2)
    expect(events[0]?.data).toContain('elements <article id="counter-global"')
    expect(events[1]?.data).toContain('elements <article id="counter-session"')
  })

  it("a session's feed re-renders for the shared counter and its own, not for another session's", async () => {
    const [ada, bob] = [app.client(), app.client()]
    await ada.get('/counter')
    const feed = ada.feed('/counter/feed', 1200)
    await Bun.sleep(300)
    await bob.post('/counter/session/increment')
    await Bun.sleep(200)
    await ada.post('/counter/session/increment')
    await Bun.sleep(200)
    await ada.post('/counter/global/increment')
    const events = await feed
    // Both cards on opening, then Ada's own card, then the shared one.
    expect(events.map((event) => /<article id="([a-z-]+)"/.exec(event.data)?.[1])).toEqual([
      'counter-global',
      'counter-session',
      'counter-session',
      'counter-global',
    ])
  })
})

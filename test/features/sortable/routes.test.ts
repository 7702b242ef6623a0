import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { sortable } from '../../../src/features/sortable/index.ts'
import { type AppServer, startAppServer } from '../app-server.ts'

let app: AppServer
beforeAll(async () => {
  app = await startAppServer([sortable])
})
afterAll(() => app.close())

const order = async (response: Response) => [...(await response.text()).matchAll(/data-id="([^"]+)"/g)].map((m) => m[1])

describe('sortable routes: validation', () => {
  it('POST /sortable/{id}/move refuses a missing, negative or fractional position with 422, writing nothing', async () => {
    const client = app.client()
    const before = await app.head()
    for (const body of [{}, { to: -1 }, { to: 1.5 }, { to: 'first' }]) {
      expect((await client.post('/sortable/ship/move', body, { json: true })).status).toBe(422)
    }
    expect(await app.head()).toBe(before)
  })

  it('POST /sortable/{id}/move past the end is refused with 422 and the reason', async () => {
    const response = await app.client().post('/sortable/ship/move', { to: 5 }, { json: true })
    expect(response.status).toBe(422)
    expect(await response.text()).toContain('positions run from 0 to 4')
  })

  it('moving an unknown item answers 404', async () => {
    const client = app.client()
    expect((await client.post('/sortable/nope/up')).status).toBe(404)
    expect((await client.post('/sortable/nope/move', { to: 0 }, { json: true })).status).toBe(404)
  })

  it('a refused Datastar drop answers the list as the server holds it, with a notice', async () => {
    const response = await app.client().post('/sortable/ship/move', { to: 99 }, { datastar: true, json: true })
    expect(response.status).toBe(200)
    expect(response.headers.get('ironstar-status')).toBe('422')
    const body = await response.text()
    expect(body).toContain('<p id="sortable-notice"')
    expect(body).toContain('Cannot move the item there')
    expect(body).toContain('<ol id="sortable-items"')
  })
})

describe('sortable routes: moves', () => {
  it('moves by drop position (JSON signals), and up and down by plain forms', async () => {
    const client = app.client()
    expect(await order(await client.get('/sortable'))).toEqual(['model', 'decide', 'project', 'render', 'ship'])
    expect((await client.post('/sortable/ship/move', { to: 0 }, { datastar: true, json: true })).status).toBe(204)
    expect((await client.post('/sortable/model/down')).status).toBe(303)
    expect((await client.post('/sortable/render/up')).headers.get('location')).toBe('/sortable')
    expect(await order(await client.get('/sortable'))).toEqual(['ship', 'decide', 'model', 'render', 'project'])
    const events = await client.feed('/sortable/feed?since=0')
    expect(events[0]?.data).toContain('<ol id="sortable-items"')
  })
})

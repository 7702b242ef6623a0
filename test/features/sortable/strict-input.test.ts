import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { sortable } from '../../../src/features/sortable/index.ts'
import { type AppServer, startAppServer } from '../app-server.ts'

let app: AppServer
beforeAll(async () => {
  app = await startAppServer([sortable])
})
afterAll(() => app.close())

const order = async (response: Response) => [...(await response.text()).matchAll(/data-id="([^"]+)"/g)].map((m) => m[1])

describe('POST /sortable/{id}/move takes a position as it is, never coerced', () => {
  it('refuses JSON values that coercion would turn into a number, writing nothing', async () => {
    const client = app.client()
    const before = await app.head()
    for (const to of ['', null, true, false, ' 1', '1e0', '0x1', '1.0', '+1', [1], {}]) {
      const response = await client.post('/sortable/ship/move', { to }, { json: true })
      expect({ to, status: response.status }).toEqual({ to, status: 422 })
      expect(await response.text()).toContain('Give a whole position, counting from 0')
    }
    expect(await app.head()).toBe(before)
  })

  it('refuses form values that are not plain digits, writing nothing', async () => {
    const client = app.client()
    const before = await app.head()
    for (const to of ['', ' 1', '1e0', 'true', '-1', '1.5', '1'.repeat(16)]) {
      const response = await client.post('/sortable/ship/move', { to })
      expect({ to, status: response.status }).toEqual({ to, status: 422 })
    }
    expect(await app.head()).toBe(before)
  })

  it('moves for a JSON number and for a form field of digits', async () => {
    const client = app.client()
    expect((await client.post('/sortable/ship/move', { to: 0 }, { json: true })).status).toBe(303)
    expect((await client.post('/sortable/model/move', { to: '2' })).status).toBe(303)
    expect(await order(await client.get('/sortable'))).toEqual(['ship', 'decide', 'model', 'project', 'render'])
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { MAX_TEXT_LENGTH } from '../../../src/features/todo/domain.ts'
import { todos } from '../../../src/features/todo/index.ts'
import { type AppServer, startAppServer } from '../app-server.ts'

let app: AppServer
beforeAll(async () => {
  app = await startAppServer([todos], { listen: false })
})
afterAll(() => app.close())

const todoIds = (page: string) => [...page.matchAll(/<li id="todo-([^"]+)"/g)].map((m) => m[1] as string)

describe('todo routes: validation', () => {
  it('POST /todos with blank text re-renders the page with 422 and the message, writing nothing', async () => {
    const client = app.client()
    const before = await app.head()
    const response = await client.post('/todos', { text: '   ' })
    expect(response.status).toBe(422)
    const page = await response.text()
    expect(page).toContain('Write something to do first')
    expect(page).toContain('aria-invalid="true"')
    expect(await app.head()).toBe(before)
  })

  it('POST /todos with one character over the limit is refused with the limit in the message', async () => {
    const response = await app.client().post('/todos', { text: 'x'.repeat(MAX_TEXT_LENGTH + 1) })
    expect(response.status).toBe(422)
    expect(await response.text()).toContain(`Keep it to ${MAX_TEXT_LENGTH} characters or fewer`)
  })

  it('POST /todos from Datastar with blank text answers the region with the error (status in a header)', async () => {
    const response = await app.client().post('/todos', { text: '' }, { datastar: true, json: true })
    expect(response.status).toBe(200)
    expect(response.headers.get('ironstar-status')).toBe('422')
    const body = await response.text()
    expect(body).toStartWith('<section id="todo-app"')
    expect(body).toContain('Write something to do first')
  })

  it('POST /todos without a text field is refused', async () => {
    expect((await app.client().post('/todos', {})).status).toBe(422)
  })

  it('POST /todos/{id}/toggle, /edit and /delete for an unknown id answer 404', async () => {
    const client = app.client()
    for (const action of ['toggle', 'delete']) expect((await client.post(`/todos/nope/${action}`)).status).toBe(404)
    expect((await client.post('/todos/nope/edit', { text: 'x' })).status).toBe(404)
  })

  it('POST /todos/{id}/edit with text over the limit is refused with 400 and changes nothing', async () => {
    const client = app.client()
    await client.post('/todos', { text: 'short' })
    const [id] = todoIds(await (await client.get('/todos')).text())
    const before = await app.head()
    const response = await client.post(`/todos/${id}/edit`, { text: 'y'.repeat(MAX_TEXT_LENGTH + 1) })
    expect(response.status).toBe(400)
    expect(await app.head()).toBe(before)
  })

  it('GET /todos/feed with a bad since is a 400', async () => {
    expect((await app.client().get('/todos/feed?since=abc')).status).toBe(400)
  })
})

describe('todo routes: commands', () => {
  it('adds, toggles, edits, deletes and clears through plain forms, each answered with 303', async () => {
    const client = app.client()
    const add = await client.post('/todos', { text: '  milk  ' })
    expect(add.status).toBe(303)
    expect(add.headers.get('location')).toBe('/todos')
    await client.post('/todos', { text: 'eggs' })
    let page = await (await client.get('/todos')).text()
    const [milk, eggs] = todoIds(page)
    expect(page).toContain('<strong>2</strong> items left')

    expect((await client.post(`/todos/${milk}/toggle`)).status).toBe(303)
    page = await (await client.get('/todos?filter=completed')).text()
    expect(todoIds(page)).toEqual([milk as string])

    expect(
      (await client.post(`/todos/${eggs}/edit?filter=active`, { text: 'brown eggs' })).headers.get('location'),
    ).toBe('/todos?filter=active')
    page = await (await client.get('/todos?filter=active')).text()
    expect(page).toContain('brown eggs')
    expect(page).toContain('<strong>1</strong> item left')

    expect((await client.post('/todos/clear-completed')).status).toBe(303)
    expect((await client.post('/todos/toggle-all')).status).toBe(303)
    page = await (await client.get('/todos')).text()
    expect(todoIds(page)).toEqual([eggs as string])
    expect(page).toContain('<strong>0</strong> items left')

    expect((await client.post(`/todos/${eggs}/edit`, { text: '  ' })).status).toBe(303)
    expect(todoIds(await (await client.get('/todos')).text())).toEqual([])
  })

  it('answers a Datastar add with JSON that clears the text signal', async () => {
    const response = await app.client().post('/todos', { text: 'from signals' }, { datastar: true, json: true })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ text: '' })
  })

  it('keeps each session its own list', async () => {
    const [ada, bob] = [app.client(), app.client()]
    await ada.post('/todos', { text: 'ada only' })
    await bob.get('/todos')
    expect(await (await bob.get('/todos')).text()).not.toContain('ada only')
    expect(await (await ada.get('/todos')).text()).toContain('ada only')
  })

  it('GET /todos/feed resumes from since with one fat morph of the list', async () => {
    const client = app.client()
    await client.post('/todos', { text: 'in the feed' })
    const events = await client.feed('/todos/feed?since=0')
    expect(events[0]?.event).toBe('datastar-patch-elements')
    expect(events[0]?.data).toContain('elements <section id="todo-app"')
    expect(events[0]?.data).toContain('in the feed')
    expect(Number(events[0]?.id)).toBe(await app.head())
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { E2E_TIMEOUT_MS, type Harness, hasDatastar, openPage, startHarness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  if (hasDatastar) h = await startHarness()
})
afterAll(() => h?.close())

/** "Appears in the other page within 1 s, without reload." */
const LIVE_MS = 1_000

describe.skipIf(!hasDatastar)('todos with Datastar', () => {
  it(
    'shows a change made in one page of the session in the other within a second',
    async () => {
      const context = await h.newSession()
      const a = await openPage(context, '/todos', { feed: '/todos/feed' })
      const b = await openPage(context, '/todos', { feed: '/todos/feed' })

      await a.page.fill('#todo-new-text', 'Live item')
      await a.page.press('#todo-new-text', 'Enter')
      await b.page.locator('.todo-item .todo-text', { hasText: 'Live item' }).waitFor({ timeout: LIVE_MS })
      // The add answered with JSON that cleared the field's signal, without a reload.
      await a.page.waitForFunction(
        () => (document.getElementById('todo-new-text') as HTMLInputElement).value === '',
        null,
        { timeout: LIVE_MS },
      )

      await b.page.locator('.todo-item .todo-toggle').first().click()
      await a.page.locator('.todo-item.is-completed').waitFor({ timeout: LIVE_MS })
      expect(await a.page.locator('.todo-count').textContent()).toBe('0 items left')

      await b.page.locator('.todo-item .todo-delete').first().click()
      await a.page.locator('#todo-app .empty-state').waitFor({ timeout: LIVE_MS })

      // A refused add shows its message in place, through the same request, and is no failed request.
      await a.page.press('#todo-new-text', 'Enter')
      await a.page.locator('#todo-text-error', { hasText: 'Write something to do first' }).waitFor({ timeout: LIVE_MS })

      for (const { problems } of [a, b]) {
        expect(problems.consoleErrors).toEqual([])
        expect(problems.failedRequests).toEqual([])
      }
      expect(a.page.url()).toEndWith('/todos') // never navigated: everything went through fetch and the feed
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'edits in place: Escape cancels, Enter saves, and the other page follows',
    async () => {
      const context = await h.newSession()
      const a = await openPage(context, '/todos', { feed: '/todos/feed' })
      const b = await openPage(context, '/todos', { feed: '/todos/feed' })
      await a.page.fill('#todo-new-text', 'Original text')
      await a.page.press('#todo-new-text', 'Enter')
      const item = a.page.locator('.todo-item', { hasText: 'Original text' })
      await item.waitFor({ timeout: LIVE_MS })

      await item.locator('.todo-text').dblclick()
      const input = item.locator('.todo-edit input[name=text]')
      await input.waitFor({ state: 'visible', timeout: LIVE_MS })
      expect(await input.evaluate((el) => el === document.activeElement)).toBe(true)
      await input.fill('Thrown away')
      await input.press('Escape')
      await input.waitFor({ state: 'hidden', timeout: LIVE_MS })
      expect(await item.locator('.todo-text').textContent()).toBe('Original text')
      expect(await input.inputValue()).toBe('Original text')

      await item.locator('.todo-text').dblclick()
      await input.fill('Edited text')
      await input.press('Enter')
      await b.page.locator('.todo-item .todo-text', { hasText: 'Edited text' }).waitFor({ timeout: LIVE_MS })
      await a.page.locator('.todo-item .todo-text', { hasText: 'Edited text' }).waitFor({ timeout: LIVE_MS })
      expect(await a.page.locator('.todo-item.is-editing').count()).toBe(0)

      for (const { problems } of [a, b]) {
        expect(problems.consoleErrors).toEqual([])
        expect(problems.failedRequests).toEqual([])
      }
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'keeps an open editor, its focus and what was typed, while another page changes the list',
    async () => {
      const context = await h.newSession()
      const a = await openPage(context, '/todos', { feed: '/todos/feed' })
      const b = await openPage(context, '/todos', { feed: '/todos/feed' })
      for (const text of ['Buy milk', 'Call mum']) {
        await b.page.fill('#todo-new-text', text)
        await b.page.press('#todo-new-text', 'Enter')
        await a.page.locator('.todo-item .todo-text', { hasText: text }).waitFor({ timeout: LIVE_MS })
      }
      const item = a.page.locator('.todo-item', { hasText: 'Buy milk' })
      const input = item.locator('.todo-edit input[name=text]')
      const editor = () =>
        input.evaluate((el: HTMLInputElement) => ({
          focused: el === document.activeElement,
          shown: el.checkVisibility(),
          value: el.value,
        }))

      // Typed straight after the double-click, as a person does: the keys go to the end of the text.
      await item.locator('.todo-text').dblclick()
      await a.page.keyboard.type(' and eggs')
      expect(await editor()).toEqual({ focused: true, shown: true, value: 'Buy milk and eggs' })

      // Page B adds a todo, then completes the one being edited: A's list is morphed twice.
      await b.page.fill('#todo-new-text', 'Water plants')
      await b.page.press('#todo-new-text', 'Enter')
      await a.page.locator('.todo-item .todo-text', { hasText: 'Water plants' }).waitFor({ timeout: LIVE_MS })
      await b.page.locator('.todo-item', { hasText: 'Buy milk' }).locator('.todo-toggle').click()
      await a.page
        .locator('.todo-item.is-completed', { hasText: 'Buy milk' })
        .waitFor({ state: 'attached', timeout: LIVE_MS })
      expect(await editor()).toEqual({ focused: true, shown: true, value: 'Buy milk and eggs' })

      await a.page.keyboard.type(', bread')
      await a.page.keyboard.press('Enter')
      await b.page
        .locator('.todo-item .todo-text', { hasText: 'Buy milk and eggs, bread' })
        .waitFor({ timeout: LIVE_MS })
      expect(await a.page.locator('.todo-item.is-editing').count()).toBe(0)

      for (const { problems } of [a, b]) {
        expect(problems.consoleErrors).toEqual([])
        expect(problems.failedRequests).toEqual([])
      }
    },
    E2E_TIMEOUT_MS,
  )
})

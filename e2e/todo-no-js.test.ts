import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { E2E_TIMEOUT_MS, type Harness, openPage, startHarness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

describe('todos with JavaScript off', () => {
  it(
    'adds, rejects empty, toggles, edits, filters, toggles all, clears and deletes through plain forms',
    async () => {
      const context = await h.newSession({ javaScriptEnabled: false })
      const refused = await openPage(context, '/todos')
      // An empty add is refused (422) with a message next to the field.
      await refused.page.locator('#todo-new button[type=submit]').click()
      expect(await refused.page.locator('#todo-text-error').textContent()).toBe('Write something to do first')
      expect(refused.problems.failedRequests).toEqual([expect.stringMatching(/^POST .*\/todos: 422$/)])
      await refused.page.close()

      const { page, problems } = await openPage(context, '/todos')
      const items = page.locator('.todo-list .todo-item')

      for (const text of ['Buy milk', 'Walk the dog', 'Write tests']) {
        await page.fill('#todo-new-text', text)
        await page.press('#todo-new-text', 'Enter')
        await page.waitForURL('**/todos')
      }
      expect(await items.count()).toBe(3)
      expect(await page.locator('.todo-count').textContent()).toBe('3 items left')

      await items.nth(0).locator('.todo-toggle').click()
      expect(await page.locator('.todo-item.is-completed .todo-text').textContent()).toBe('Buy milk')
      expect(await page.locator('.todo-count').textContent()).toBe('2 items left')

      // Edit without JavaScript: the edit link opens the form, Save posts it.
      await items.nth(1).locator('.todo-edit-link').click()
      const editing = page.locator('.todo-item.is-editing')
      await editing.locator('.todo-edit input[name=text]').fill('Walk the cat')
      await editing.locator('.todo-edit button[type=submit]').click()
      expect(await items.nth(1).locator('.todo-text').textContent()).toBe('Walk the cat')

      // A link's click returns once the navigation starts: wait for the filtered page to load.
      await page.click('.todo-filters a:text("Active")')
      await page.waitForURL('**/todos?filter=active')
      expect(await items.count()).toBe(2)
      await page.click('.todo-filters a:text("Completed")')
      await page.waitForURL('**/todos?filter=completed')
      expect(await items.allTextContents().then((t) => t.map((s) => s.trim()).join('|'))).toContain('Buy milk')
      await page.click('.todo-filters a:text("All")')

      await page.locator('.todo-toggle-all').click()
      expect(await page.locator('.todo-count').textContent()).toBe('0 items left')
      await page.locator('.todo-toggle-all').click()
      expect(await page.locator('.todo-count').textContent()).toBe('3 items left')

      await items.nth(0).locator('.todo-toggle').click()
      await page.click('button:text("Clear completed")')
      expect(await items.count()).toBe(2)
      await items.nth(0).locator('.todo-delete').click()
      expect(await items.count()).toBe(1)
      expect(await items.nth(0).locator('.todo-text').textContent()).toBe('Write tests')

      expect(problems.consoleErrors).toEqual([])
      expect(problems.failedRequests).toEqual([])
    },
    E2E_TIMEOUT_MS,
  )
})

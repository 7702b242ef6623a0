import { afterEach, beforeEach, describe, expect, it } from 'bun:test'
import type { Page } from 'playwright-core'
import { E2E_TIMEOUT_MS, type Harness, hasDatastar, openPage, startHarness } from './harness.ts'

// One server per test: the list is shared by everyone, so each test starts from the initial order.
let h: Harness
beforeEach(async () => {
  h = await startHarness()
})
afterEach(() => h.close())

const LIVE_MS = 1_000
const order = (page: Page) =>
  page.locator('#sortable-items .sortable-item').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.id))
/** Runs in the page: is item `id` at `position` (1-based) of the list? */
const itemIsAt = ([id, position]: readonly [string, number]) =>
  document.querySelector(`#sortable-items > li:nth-child(${position})`)?.id === `item-${id}`
const isAt = (page: Page, id: string, position: number) => page.evaluate(itemIsAt, [id, position] as const)
/** Waits until the page shows item `id` at `position`: live, so within `LIVE_MS`. */
const showsAt = (page: Page, id: string, position: number) =>
  page.waitForFunction(itemIsAt, [id, position] as const, { timeout: LIVE_MS })

/**
 * Drags an item by its handle onto the top edge of another, as a person does. sortablejs
 * ignores the pointer for a moment after each swap and while the items animate (150 ms), so a
 * drag released straight after its last move can drop short of where the pointer is; a
 * person holds the item over its place until it shows there. So does this: it rests the
 * pointer on the target, nudging it (each move is a dragover), until the item is at
 * `position` in the page, and only then releases. This waits on the page's animation, not on
 * the server, and is bounded. `whilePressed` runs between the press and the first move.
 */
async function dragOnto(
  page: Page,
  id: string,
  targetId: string,
  position: number,
  whilePressed: () => Promise<void> = async () => {},
): Promise<void> {
  const handle = await page.locator(`#item-${id} .sortable-item__handle`).boundingBox()
  const target = await page.locator(`#item-${targetId}`).boundingBox()
  if (!handle || !target) throw new Error('Cannot drag: items are not laid out')
  const x = handle.x + handle.width / 2
  const [fromY, toY] = [handle.y + handle.height / 2, target.y + 4]
  await page.mouse.move(x, fromY)
  await page.mouse.down()
  await whilePressed()
  for (let step = 1; step <= 10; step++) await page.mouse.move(x, fromY + ((toY - fromY) * step) / 10)
  for (let nudge = 0; !(await isAt(page, id, position)); nudge++) {
    if (nudge === 40) throw new Error(`Cannot drag "${id}" to ${position}: it stays at ${await order(page)}`)
    await page.waitForTimeout(50)
    await page.mouse.move(x, toY + (nudge % 2))
  }
  await page.mouse.up()
}

describe('sortable with JavaScript off', () => {
  it(
    'moves items with the up and down buttons',
    async () => {
      const context = await h.newSession({ javaScriptEnabled: false })
      const { page, problems } = await openPage(context, '/sortable')
      expect(await order(page)).toEqual(['model', 'decide', 'project', 'render', 'ship'])
      expect(await page.locator('#item-model button[aria-label$="up"]').isDisabled()).toBe(true)
      await page.locator('#item-ship button[aria-label$="up"]').click()
      await page.locator('#item-model button[aria-label$="down"]').click()
      expect(await order(page)).toEqual(['decide', 'model', 'project', 'ship', 'render'])
      expect(problems.consoleErrors).toEqual([])
      expect(problems.failedRequests).toEqual([])
    },
    E2E_TIMEOUT_MS,
  )
})

describe.skipIf(!hasDatastar)('sortable with Datastar', () => {
  it(
    'reorders with the buttons and by drag and drop, live in a second page',
    async () => {
      const [first, second] = [await h.newSession(), await h.newSession()]
      const a = await openPage(first, '/sortable', { feed: '/sortable/feed' })
      const b = await openPage(second, '/sortable', { feed: '/sortable/feed' })

      await a.page.locator('#item-ship button[aria-label$="up"]').click()
      await showsAt(b.page, 'ship', 4)
      expect(await order(b.page)).toEqual(['model', 'decide', 'project', 'ship', 'render'])
      // The drag aims at where A shows the items, so A's own copy of that move must be in first.
      await showsAt(a.page, 'ship', 4)

      // Drag "render" (last) onto the first item by its handle: the component emits `reorder`.
      await dragOnto(a.page, 'render', 'model', 1)
      await showsAt(b.page, 'render', 1)
      expect(await order(b.page)).toEqual(['render', 'model', 'decide', 'project', 'ship'])
      expect(await order(a.page)).toEqual(await order(b.page))

      for (const { problems } of [a, b]) {
        expect(problems.consoleErrors).toEqual([])
        expect(problems.failedRequests).toEqual([])
      }
    },
    E2E_TIMEOUT_MS,
  )

  it(
    'drags an item pressed just before another page moves one: the morph leaves the drag alone',
    async () => {
      const [first, second] = [await h.newSession(), await h.newSession()]
      const a = await openPage(first, '/sortable', { feed: '/sortable/feed' })
      const b = await openPage(second, '/sortable', { feed: '/sortable/feed' })

      // sortablejs marks the pressed item (draggable, its classes); B's move morphs A's list under it.
      await dragOnto(a.page, 'ship', 'model', 1, async () => {
        await b.page.locator('#item-decide button[aria-label$="down"]').click()
        await showsAt(a.page, 'decide', 3)
      })
      await showsAt(b.page, 'ship', 1)
      expect(await order(b.page)).toEqual(['ship', 'model', 'project', 'decide', 'render'])
      expect(await order(a.page)).toEqual(await order(b.page))

      for (const { problems } of [a, b]) {
        expect(problems.consoleErrors).toEqual([])
        expect(problems.failedRequests).toEqual([])
      }
    },
    E2E_TIMEOUT_MS,
  )
})

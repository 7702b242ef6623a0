import { afterEach, describe, expect, it } from 'bun:test'
import { CommandHandler } from '../../../src/core/eventsourcing/commands.ts'
import type { StoredEvent } from '../../../src/core/eventsourcing/events.ts'
import { EventRegistry } from '../../../src/core/eventsourcing/upcast.ts'
import { SORTABLE_EVENT_TYPES, sortableDecider, sortableStream } from '../../../src/features/sortable/domain.ts'
import { applySortableEvent, initialSortableList } from '../../../src/features/sortable/projection.ts'
import { openTestStore, type TestStore } from '../../fixtures/store.ts'

let t: TestStore
afterEach(() => t?.close())

const replay = (events: readonly StoredEvent[]) => events.reduce(applySortableEvent, initialSortableList())

describe('sortable projection', () => {
  it('replaying the log twice gives the same order, the one the decider holds', async () => {
    t = openTestStore(new EventRegistry().registerAll(SORTABLE_EVENT_TYPES))
    const commands = new CommandHandler(t.store)
    await commands.handle(sortableDecider, sortableStream, { type: 'MoveItem', id: 'ship', to: 0 })
    await commands.handle(sortableDecider, sortableStream, { type: 'MoveItemDown', id: 'model' })
    await commands.handle(sortableDecider, sortableStream, { type: 'MoveItemUp', id: 'render' })
    const events = await t.store.readAll()
    const once = replay(events)
    expect(replay(events)).toEqual(once)
    expect(once.items.map((item) => item.id)).toEqual(['ship', 'decide', 'model', 'render', 'project'])
    const decided = events.reduce((s, e) => sortableDecider.evolve(s, e as never), sortableDecider.initialState())
    expect(once).toEqual(decided)
  })
})

import { afterEach, describe, expect, it } from 'bun:test'
import { CommandHandler } from '../../../src/core/eventsourcing/commands.ts'
import type { StoredEvent } from '../../../src/core/eventsourcing/events.ts'
import { EventRegistry } from '../../../src/core/eventsourcing/upcast.ts'
import { TODO_EVENT_TYPES, todoDecider, todoStream } from '../../../src/features/todo/domain.ts'
import { applyTodoEvent, initialTodoLists, listOf } from '../../../src/features/todo/projection.ts'
import { openTestStore, type TestStore } from '../../fixtures/store.ts'

let t: TestStore
afterEach(() => t?.close())

const at = '2026-01-01T00:00:00.000Z'
const replay = (events: readonly StoredEvent[]) => events.reduce(applyTodoEvent, initialTodoLists())

async function writeHistory(): Promise<StoredEvent[]> {
  t = openTestStore(new EventRegistry().registerAll([...TODO_EVENT_TYPES, 'Other']))
  const commands = new CommandHandler(t.store)
  const [ada, bob] = [todoStream('ada'), todoStream('bob')]
  await commands.handle(todoDecider, ada, { type: 'AddTodo', id: 'a1', text: 'milk', at })
  await commands.handle(todoDecider, ada, { type: 'AddTodo', id: 'a2', text: 'eggs', at })
  await commands.handle(todoDecider, bob, { type: 'AddTodo', id: 'b1', text: 'tea', at })
  await commands.handle(todoDecider, ada, { type: 'ToggleTodo', id: 'a1' })
  await commands.handle(todoDecider, ada, { type: 'EditTodo', id: 'a2', text: 'brown eggs' })
  await commands.handle(todoDecider, bob, { type: 'ToggleAll' })
  await commands.handle(todoDecider, bob, { type: 'ClearCompleted' })
  // An event of another slice on a stream of another type must be ignored.
  await t.store.append({ type: 'elsewhere', id: 'ada' }, 0, [{ type: 'Other', data: {} }])
  return t.store.readAll()
}

describe('todo projection', () => {
  it('replaying the log twice gives the same state', async () => {
    const events = await writeHistory()
    expect(replay(events)).toEqual(replay(events))
  })

  it('holds each session its own list, equal to the decider state of its stream', async () => {
    const events = await writeHistory()
    const state = replay(events)
    expect(listOf(state, 'ada').todos).toEqual([
      { id: 'a1', text: 'milk', completed: true },
      { id: 'a2', text: 'brown eggs', completed: false },
    ])
    expect(listOf(state, 'bob').todos).toEqual([])
    expect(listOf(state, 'nobody').todos).toEqual([])
    const adaEvents = await t.store.readStream(todoStream('ada'))
    const decided = adaEvents.reduce((s, e) => todoDecider.evolve(s, e as never), todoDecider.initialState())
    expect(listOf(state, 'ada')).toEqual(decided)
  })

  it('forgets a list once it is empty, so empty sessions cost no memory', async () => {
    const state = replay(await writeHistory())
    expect(state.lists.has('bob')).toBe(false)
  })
})

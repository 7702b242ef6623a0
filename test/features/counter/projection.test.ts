import { afterEach, describe, expect, it } from 'bun:test'
import { CommandHandler } from '../../../src/core/eventsourcing/commands.ts'
import type { StoredEvent } from '../../../src/core/eventsourcing/events.ts'
import { EventRegistry } from '../../../src/core/eventsourcing/upcast.ts'
import {
  COUNTER_EVENT_TYPES,
  counterDecider,
  globalCounterStream,
  sessionCounterStream,
} from '../../../src/features/counter/domain.ts'
import { counterProjection } from '../../../src/features/counter/projection.ts'
import { openTestStore, type TestStore } from '../../fixtures/store.ts'

let t: TestStore
afterEach(() => t?.close())

const at = '2026-01-01T00:00:00.000Z'
const replay = (events: readonly StoredEvent[]) => events.reduce(counterProjection.apply, counterProjection.initial())

async function writeHistory(): Promise<StoredEvent[]> {
  t = openTestStore(new EventRegistry().registerAll([...COUNTER_EVENT_TYPES, 'Other']))
  const commands = new CommandHandler(t.store)
  const increment = { type: 'IncrementCounter', at } as const
  await Promise.all([
    commands.handle(counterDecider, globalCounterStream, increment),
    commands.handle(counterDecider, globalCounterStream, increment),
    commands.handle(counterDecider, sessionCounterStream('ada'), increment),
    commands.handle(counterDecider, globalCounterStream, increment),
    commands.handle(counterDecider, sessionCounterStream('bob'), increment),
    commands.handle(counterDecider, sessionCounterStream('ada'), increment),
  ])
  await t.store.append({ type: 'elsewhere', id: 'global' }, 0, [{ type: 'Other', data: { value: 99 } }])
  return t.store.readAll()
}

describe('counter projection', () => {
  it('replaying the log twice gives the same state', async () => {
    const events = await writeHistory()
    expect(replay(events)).toEqual(replay(events))
  })

  it('counts the global counter and each session apart, even for concurrent commands', async () => {
    const state = replay(await writeHistory())
    expect(state.get(globalCounterStream.id)).toBe(3)
    expect(state.get(sessionCounterStream('ada').id)).toBe(2)
    expect(state.get(sessionCounterStream('bob').id)).toBe(1)
    expect(state.get(sessionCounterStream('nobody').id)).toBeUndefined()
    expect([...state.keys()].sort()).toEqual(['global', 'session-ada', 'session-bob'])
  })
})

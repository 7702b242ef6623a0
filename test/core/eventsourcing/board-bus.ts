import { afterEach } from 'bun:test'
import { BroadcastRing } from '../../../src/core/eventsourcing/bus.ts'
import { notesRegistry } from '../../fixtures/notes.ts'
import { openTestStore, type TestStore } from '../../fixtures/store.ts'

/** The notes board the read-side tests append to. */
export const board = { type: 'board', id: 'b1' }
export const note = (text: string) => ({ type: 'NoteAdded', data: { text } })

/**
 * For a test file: a function that opens a real notes store publishing to a ring of `capacity`
 * (tiny rings force lag), closed again after each test.
 */
export function boardBus(): (capacity?: number) => { store: TestStore['store']; bus: BroadcastRing } {
  let opened: TestStore | null = null
  afterEach(async () => {
    await opened?.close()
    opened = null
  })
  return (capacity = 256) => {
    opened = openTestStore(notesRegistry())
    const bus = new BroadcastRing(capacity)
    opened.store.onCommit((events) => bus.publish(events))
    return { store: opened.store, bus }
  }
}

import { afterEach, describe, expect, it } from 'bun:test'
import { EventRegistry } from '../../../src/core/eventsourcing/upcast.ts'
import { openTestStore, type TestStore } from '../../fixtures/store.ts'

let t: TestStore
afterEach(() => t?.close())

/** v1 {name}, v2 {first, last}, v3 {first, last, display}. */
function registry(version: number) {
  return new EventRegistry().register('PersonRegistered', {
    version,
    upcasters: {
      1: (v1: { name: string }) => {
        const [first = '', ...rest] = v1.name.split(' ')
        return { first, last: rest.join(' ') }
      },
      2: (v2: { first: string; last: string }) => ({ ...v2, display: `${v2.last}, ${v2.first}` }),
    },
  })
}

function insertRaw(payload: string, schemaVersion: number) {
  t.db
    .query(
      `INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, schema_version, payload, created_at)
       VALUES (?, 'person', 'p1', 1, 'PersonRegistered', ?, ?, '2026-01-01T00:00:00.000Z')`,
    )
    .run(crypto.randomUUID(), schemaVersion, payload)
}

describe('EventRegistry upcasting', () => {
  it('reads a raw v1 row as the current v2 shape', async () => {
    t = openTestStore(registry(2))
    insertRaw('{"name":"Ada Lovelace"}', 1)
    const [event] = await t.store.readStream({ type: 'person', id: 'p1' })
    expect(event?.data).toEqual({ first: 'Ada', last: 'Lovelace' })
    expect(event?.schemaVersion).toBe(2)
  })

  it('chains upcasters v1 → v2 → v3 and leaves current rows alone', async () => {
    t = openTestStore(registry(3))
    insertRaw('{"name":"Grace Brewster Hopper"}', 1)
    const [event] = await t.store.readAll()
    expect(event?.data).toEqual({ first: 'Grace', last: 'Brewster Hopper', display: 'Brewster Hopper, Grace' })
  })

  it('writes new events at the current schema version', async () => {
    t = openTestStore(registry(3))
    await t.store.append({ type: 'person', id: 'p2' }, 0, [
      { type: 'PersonRegistered', data: { first: 'A', last: 'B', display: 'B, A' } },
    ])
    const row = t.db.query<{ v: number }, []>('SELECT schema_version AS v FROM events').get()
    expect(row?.v).toBe(3)
  })

  it('register() refuses a version without the upcasters to reach it', () => {
    expect(() => new EventRegistry().register('X', { version: 3, upcasters: { 1: (d) => d } })).toThrow(
      'no upcaster from 2',
    )
  })
})

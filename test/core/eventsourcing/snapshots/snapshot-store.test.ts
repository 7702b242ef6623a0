import { afterEach, beforeEach, expect, it } from 'bun:test'
import { PostgresSnapshotStore } from '../../../../src/core/eventsourcing/snapshots/postgres-snapshot-store.ts'
import {
  checksumOf,
  KEPT_DEFINITIONS,
  type Snapshot,
  type SnapshotStore,
  SqliteSnapshotStore,
} from '../../../../src/core/eventsourcing/snapshots/snapshot-store.ts'
import { describeEngines, openPostgresSchema } from '../../../fixtures/postgres.ts'
import { openTestStore } from '../../../fixtures/store.ts'

interface OpenSnapshots {
  readonly snapshots: SnapshotStore
  close(): Promise<void>
}
const engines = [
  {
    name: 'SQLite' as const,
    async open(): Promise<OpenSnapshots> {
      const t = openTestStore()
      return { snapshots: new SqliteSnapshotStore(t.db), close: () => t.close() }
    },
  },
  {
    name: 'PostgreSQL' as const,
    async open(): Promise<OpenSnapshots> {
      const schema = await openPostgresSchema()
      return { snapshots: new PostgresSnapshotStore(schema.sql), close: () => schema.close() }
    },
  },
]

const snapshot = (fingerprint: string, position: number, state = `{"at":${position}}`): Snapshot => ({
  name: 'todo-lists',
  fingerprint,
  position,
  state,
  checksum: checksumOf(state),
})

describeEngines('the snapshot store', engines, (engine) => {
  let open: OpenSnapshots
  beforeEach(async () => {
    open = await engine.open()
  })
  afterEach(() => open.close())

  it('loads what was saved for this definition, and the newest save replaces the older', async () => {
    const { snapshots } = open
    expect(await snapshots.load('todo-lists', 'a')).toBeNull()
    await snapshots.save(snapshot('a', 10))
    await snapshots.save(snapshot('a', 2_000_000_000_000))
    expect(await snapshots.load('todo-lists', 'a')).toEqual(snapshot('a', 2_000_000_000_000))
    expect(await snapshots.load('todo-lists', 'b')).toBeNull()
    expect(await snapshots.load('counters', 'a')).toBeNull()
  })

  it('keeps the snapshots of a few other definitions, and no more', async () => {
    const { snapshots } = open
    for (let i = 0; i <= KEPT_DEFINITIONS + 1; i++) {
      await snapshots.save(snapshot(`v${i}`, i))
      await Bun.sleep(2) // distinct write times: the oldest goes first
    }
    expect(await snapshots.countOthers('todo-lists', `v${KEPT_DEFINITIONS + 1}`)).toBe(KEPT_DEFINITIONS - 1)
    expect(await snapshots.load('todo-lists', 'v0')).toBeNull()
    expect(await snapshots.load('todo-lists', `v${KEPT_DEFINITIONS + 1}`)).not.toBeNull()
  })
})

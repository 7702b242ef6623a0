import type { Database } from 'bun:sqlite'
import { afterEach, beforeEach, describe, expect, it } from 'bun:test'
import { BroadcastRing } from '../../../../src/core/eventsourcing/bus.ts'
import type { StoredEvent } from '../../../../src/core/eventsourcing/events.ts'
import {
  defineProjection,
  Projection,
  type ProjectionDefinition,
} from '../../../../src/core/eventsourcing/projections.ts'
import type { SnapshotPolicy } from '../../../../src/core/eventsourcing/snapshots/snapshot-keeper.ts'
import { SqliteSnapshotStore } from '../../../../src/core/eventsourcing/snapshots/snapshot-store.ts'
import { SqliteEventStore } from '../../../../src/core/eventsourcing/store/sqlite-event-store.ts'
import type { EventRegistry } from '../../../../src/core/eventsourcing/upcast.ts'
import { createLogger } from '../../../../src/core/ops/log.ts'
import { notesRegistry } from '../../../fixtures/notes.ts'
import { openTestStore, type TestStore } from '../../../fixtures/store.ts'

/** The real SQLite store, counting the events its reads hand out: what a start really folds. */
class CountingStore extends SqliteEventStore {
  eventsRead = 0
  constructor(db: Database, registry: EventRegistry) {
    super(db, registry)
  }
  protected override async readPage(after: number, limit: number): Promise<StoredEvent[]> {
    const page = await super.readPage(after, limit)
    this.eventsRead += page.length
    return page
  }
}

/** Notes per author, in a Map (what the default codec must carry), and a Set of every text. */
interface Notes {
  readonly byAuthor: Map<string, string[]>
  readonly texts: Set<string>
}
const notesProjection = (version = 1) =>
  defineProjection<Notes>({
    name: 'notes-by-author',
    snapshot: { version },
    initial: () => ({ byAuthor: new Map(), texts: new Set() }),
    apply(state, event) {
      if (event.type !== 'NoteAdded') return state
      const { text } = event.data as { text: string }
      state.byAuthor.set(event.stream.id, [...(state.byAuthor.get(event.stream.id) ?? []), text])
      state.texts.add(text)
      return state
    },
  })

describe('projection snapshots', () => {
  let t: TestStore
  let store: CountingStore
  let bus: BroadcastRing
  let lines: { level: string; msg: string }[]
  const snapshots = () => new SqliteSnapshotStore(t.db)
  const log = () => createLogger({ write: (line) => lines.push(JSON.parse(line)) })

  beforeEach(() => {
    t = openTestStore(notesRegistry())
    store = new CountingStore(t.db, notesRegistry())
    bus = new BroadcastRing(64)
    store.onCommit((events) => bus.publish(events))
    lines = []
  })
  afterEach(async () => {
    bus.close()
    await store.close()
    await t.close()
  })

  /** Notes `from`…`from + count - 1`, by seven authors: one append per author, so one commit in all. */
  async function addNotes(count: number, from = 0): Promise<void> {
    const byAuthor = new Map<string, { type: string; data: { text: string } }[]>()
    for (let i = from; i < from + count; i++) {
      const author = `author-${i % 7}`
      byAuthor.set(author, [...(byAuthor.get(author) ?? []), { type: 'NoteAdded', data: { text: `note ${i}` } }])
    }
    await Promise.all([...byAuthor].map(([id, events]) => store.append({ type: 'note', id }, 'any', events)))
  }

  async function started<State>(definition: ProjectionDefinition<State>, policy?: SnapshotPolicy) {
    const projection = new Projection(definition, { log: log(), snapshotPolicy: policy })
    store.eventsRead = 0
    await projection.start({ store, bus, snapshots: snapshots(), registry: notesRegistry() })
    return projection
  }

  async function freshFold<State>(definition: ProjectionDefinition<State>): Promise<State> {
    const projection = new Projection(definition)
    await projection.start({ store, bus })
    await projection.stop()
    return projection.state
  }

  it('restarts from the snapshot written at stop and folds only the tail after it', async () => {
    await addNotes(1_200)
    const first = await started(notesProjection())
    expect(store.eventsRead).toBe(1_200)
    await first.stop()

    await addNotes(30, 1_200)
    const second = await started(notesProjection())
    expect(second.counters().snapshots.restoredFrom).toBe(1_200)
    expect(store.eventsRead).toBe(30)
    expect(second.counters().folded).toBe(30)
    expect(second.position).toBe(1_230)
    expect(second.state).toEqual(await freshFold(notesProjection()))
    await second.stop()
  })

  it('writes a checkpoint once enough events were folded, off the fold, and keeps following', async () => {
    const projection = await started(notesProjection(), { everyEvents: 50, minIntervalMs: 0 })
    await addNotes(60)
    await projection.waitFor(60)
    for (let i = 0; i < 100 && projection.counters().snapshots.writes === 0; i++) await Bun.sleep(10)
    expect(projection.counters().snapshots.writes).toBe(1)
    const row = t.db.query('SELECT position FROM projection_snapshots').get() as { position: number }
    expect(row.position).toBeGreaterThanOrEqual(50)
    await addNotes(1, 60)
    await projection.waitFor(61)
    await projection.stop()
  })

  it('writes one checkpoint at the end of a start over a long log, not one per page on the way', async () => {
    await addNotes(3_000)
    const projection = await started(notesProjection(), { everyEvents: 500, minIntervalMs: 0 })
    for (let i = 0; i < 100 && projection.counters().snapshots.writes === 0; i++) await Bun.sleep(10)
    await Bun.sleep(50)
    expect(projection.counters().snapshots.writes).toBe(1)
    expect(t.db.query('SELECT position FROM projection_snapshots').get()).toEqual({ position: 3_000 })
    await projection.stop()
  })

  it('ignores the snapshot of another definition (a bumped version) with a log line, and folds from 0', async () => {
    await addNotes(40)
    await (await started(notesProjection(1))).stop()
    const bumped = await started(notesProjection(2))
    expect(bumped.counters().snapshots.restoredFrom).toBeNull()
    expect(store.eventsRead).toBe(40)
    expect(bumped.state).toEqual(await freshFold(notesProjection(2)))
    expect(lines.map((line) => line.msg)).toContainEqual(expect.stringContaining('another definition'))
    await bumped.stop()
    // Both definitions keep their own snapshot: two versions running side by side do not fight.
    expect((t.db.query('SELECT count(*) AS n FROM projection_snapshots').get() as { n: number }).n).toBe(2)
  })

  it('ignores a damaged snapshot, one that does not decode and one past the log, folding from 0', async () => {
    await addNotes(25)
    const damage = [
      "UPDATE projection_snapshots SET state = replace(state, 'note 1', 'note X')",
      "UPDATE projection_snapshots SET state = '{not json', checksum = ?",
      'UPDATE projection_snapshots SET position = 1000',
    ]
    for (const sql of damage) {
      await (await started(notesProjection())).stop()
      const checksum = Bun.hash('{not json').toString(16)
      if (sql.includes('?')) t.db.query(sql).run(checksum)
      else t.db.run(sql)
      lines = []
      const restarted = await started(notesProjection())
      expect(restarted.counters().snapshots.restoredFrom).toBeNull()
      expect(store.eventsRead).toBe(25)
      expect(restarted.state).toEqual(await freshFold(notesProjection()))
      expect(lines.some((line) => line.level === 'warn' && line.msg.includes('folding from 0'))).toBe(true)
      await restarted.stop()
    }
  })

  it('counts a snapshot that cannot be written (its table gone, a state too large) and keeps running', async () => {
    await addNotes(10)
    const tooLarge = await started(notesProjection(), { maxBytes: 10 })
    await tooLarge.stop()
    expect(tooLarge.counters().snapshots).toEqual({ writes: 0, failures: 1, restoredFrom: null })

    t.db.run('DROP TABLE projection_snapshots')
    const projection = await started(notesProjection(), { everyEvents: 5, minIntervalMs: 0 })
    await addNotes(6, 10)
    await projection.waitFor(16)
    for (let i = 0; i < 100 && projection.counters().snapshots.failures === 0; i++) await Bun.sleep(10)
    expect(projection.counters().snapshots.failures).toBeGreaterThanOrEqual(1)
    await addNotes(1, 16)
    await projection.waitFor(17)
    await projection.stop()
    expect(projection.state).toEqual(await freshFold(notesProjection()))
  })

  it('never snapshots a projection that opts out', async () => {
    await addNotes(5)
    const optOut = defineProjection<Notes>({ ...notesProjection(), name: 'opted-out', snapshot: false })
    await (await started(optOut)).stop()
    expect(t.db.query('SELECT count(*) AS n FROM projection_snapshots').get()).toEqual({ n: 0 })
  })
})

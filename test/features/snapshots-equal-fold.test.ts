import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { slices as appSlices } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { Projection } from '../../src/core/eventsourcing/projections.ts'
import type { Slice } from '../../src/core/slice.ts'
import { type RunningServer, startServer } from '../../src/server.ts'
import { seedLog } from '../fixtures/seed-log.ts'
import { makeTempDir } from '../fixtures/store.ts'
import { makeClient } from './app-server.ts'

// The app's slices without their resources (DuckDB, the sampler): this is about the projections.
const slices: Slice[] = appSlices.map((slice) => ({ ...slice, resources: [] }))
const projections = [...new Set(slices.flatMap((slice) => slice.projections))]
const SEEDED = 20_000

describe('every app projection restarted from its snapshot equals a fresh fold of the log', () => {
  const dir = makeTempDir('ironstar-snapshots-')
  const config = loadConfig({ DATA_DIR: dir, IRONSTAR_ENV: 'test' })
  const start = () => startServer(config, { slices, listen: false })
  let restarted: RunningServer
  let tail = 0

  beforeAll(async () => {
    seedLog(join(dir, 'ironstar.sqlite'), SEEDED)
    const first = await start()
    await first.stop() // writes every projection's snapshot at the head

    // More events through the app's own commands; then the snapshots are put back as they were
    // before, as after a crash that left no final snapshot: the next start has a tail to fold.
    const second = await start()
    const kept = second.app.db.query('SELECT * FROM projection_snapshots').all()
    const client = makeClient(second.url.origin, (url, init) => second.fetch(new Request(url, init)))
    for (let i = 0; i < 10; i++) expect((await client.post('/todos', { text: `after ${i}` })).status).toBe(303)
    await client.post('/counter/global/increment')
    await client.post('/counter/session/increment')
    await client.post('/sortable/ship/up') // one of the two moves is possible, whatever the seeded order
    await client.post('/sortable/ship/down')
    tail = (await second.app.store.headPosition()) - SEEDED
    await second.stop()
    const db = (await start()).app.db // a server only to reach the file; its own snapshots are replaced below
    db.run('DELETE FROM projection_snapshots')
    const columns = Object.keys(kept[0] as object)
    const insert = db.query(`INSERT INTO projection_snapshots (${columns}) VALUES (${columns.map(() => '?')})`)
    for (const row of kept) insert.run(...(Object.values(row as object) as string[]))
    db.close()
    restarted = await start()
  })
  afterAll(async () => {
    await restarted.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('covers every projection the app lists, each restored from its snapshot, folding only the tail', () => {
    expect(projections.length).toBeGreaterThanOrEqual(4)
    expect(tail).toBeGreaterThanOrEqual(13) // 10 todos, 2 counter clicks, 1 move
    for (const definition of projections) {
      const { snapshots, folded } = restarted.app.projection(definition).counters()
      expect({ name: definition.name, restoredFrom: snapshots.restoredFrom }).toEqual({
        name: definition.name,
        restoredFrom: SEEDED,
      })
      expect(folded).toBe(tail)
    }
  })

  for (const definition of projections) {
    it(`"${definition.name}" holds the same state as a fold from 0`, async () => {
      const fresh = new Projection(definition)
      await fresh.start({ store: restarted.app.store, bus: restarted.app.bus })
      await fresh.stop()
      const running = restarted.app.projection(definition)
      expect(running.position).toBe(fresh.position)
      expect(running.state).toEqual(fresh.state)
    })
  }
})

import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../src/config.ts'
import { defineSlice } from '../../../src/core/slice.ts'
import { type RunningServer, startServer } from '../../../src/server.ts'
import { boardProjection } from '../../fixtures/notes.ts'

const board = boardProjection('ready-board')
const readySlice = defineSlice({ name: 'ready-probe', events: { NoteAdded: {} }, projections: [board], routes: {} })

describe('/readyz under load', () => {
  let t: RunningServer
  const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-ready-'))
  let version = 0
  beforeAll(async () => {
    const config = loadConfig({ DATA_DIR: dataDir, IRONSTAR_ENV: 'test', READY_MAX_LAG: '10' })
    t = await startServer(config, { slices: [readySlice], listen: false })
  })
  afterAll(async () => {
    await t.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  /**
   * Events committed to the log that the projection has not applied yet, as a busy node has: written
   * straight into the table, so they never reach the broadcast ring and the projection trails by `count`.
   */
  function commitUnseen(count: number): void {
    const insert = t.app.db.query(
      `INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, payload, created_at)
       VALUES (?, 'board', 'unseen', ?, 'NoteAdded', '{"text":"x"}', '2026-12-01T00:00:00Z')`,
    )
    for (let i = 0; i < count; i++) insert.run(crypto.randomUUID(), ++version)
  }

  const readyz = async () => {
    const res = await t.fetch(new Request('http://localhost/readyz'))
    return { status: res.status, body: (await res.json()) as { status: string; position: number } }
  }

  it('stays ready while a reader trails the log by no more than READY_MAX_LAG events', async () => {
    commitUnseen(10)
    expect(t.app.projection(board).position).toBe(0)
    expect(await readyz()).toEqual({ status: 200, body: expect.objectContaining({ status: 'ready', position: 10 }) })
  })

  it('answers 503 once a reader is further behind than that', async () => {
    commitUnseen(1)
    expect(await readyz()).toEqual({
      status: 503,
      body: expect.objectContaining({ status: 'catching-up', position: 11 }),
    })
  })
})

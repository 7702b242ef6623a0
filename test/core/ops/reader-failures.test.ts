import { afterEach, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { loadConfig } from '../../../src/config.ts'
import { createLogger } from '../../../src/core/ops/log.ts'
import { defineSlice } from '../../../src/core/slice.ts'
import { type RunningServer, startServer } from '../../../src/server.ts'
import { addNoteRoute, boardProjection } from '../../fixtures/notes.ts'
import { makeTempDir } from '../../fixtures/store.ts'

const board = boardProjection('steady-board')
let throwsLeft = 1
/** A projection whose apply throws on the first event it sees, and folds the rest. */
const flaky = {
  ...board,
  name: 'flaky-board',
  apply: (...args: Parameters<typeof board.apply>) => {
    if (throwsLeft-- > 0) throw new Error('apply failed once')
    return board.apply(...args)
  },
}

const slice = defineSlice({
  name: 'reader-failures',
  events: { NoteAdded: {}, BoardRenamed: {} },
  projections: [board, flaky],
  routes: () => ({
    ...addNoteRoute(flaky),
  }),
})

let server: RunningServer | undefined
let dir = ''
afterEach(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

it('/metrics counts the failures of each reader of the log, by reader, the feeds included', async () => {
  dir = makeTempDir('ironstar-reader-failures-')
  const lines: string[] = []
  server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dir, IRONSTAR_ENV: 'test' }), {
    slices: [slice],
    logger: createLogger({ write: (line) => lines.push(line) }),
  })
  const running = server
  const origin = running.url.origin
  const post = () =>
    running.fetch(new Request(`${origin}/notes`, { method: 'POST', headers: { Origin: origin }, redirect: 'manual' }))
  expect((await post()).status).toBe(303)
  expect((await post()).status).toBe(303)

  const metrics = await (await running.fetch(new Request(`${origin}/metrics`))).text()
  expect(metrics).toContain('# TYPE ironstar_reader_failures_total counter')
  expect(metrics).toMatch(/^ironstar_reader_failures_total\{reader="flaky-board"\} 1$/m)
  expect(metrics).toMatch(/^ironstar_reader_failures_total\{reader="steady-board"\} 0$/m)
  expect(metrics).toMatch(/^ironstar_reader_failures_total\{reader="feeds"\} 0$/m)
  // The failed event was skipped, not retried: the next one folded.
  expect(running.app.projection(flaky).state.notes).toHaveLength(1)
  const logged = lines.map((line) => JSON.parse(line)).filter((line) => line.msg.includes('failed to apply'))
  expect(logged.map((line) => line.msg)).toEqual(['Projection "flaky-board" failed to apply event'])
})

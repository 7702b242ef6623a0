import { Database } from 'bun:sqlite'
import { afterAll, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/core/ops/log.ts'
import { counter } from '../src/features/counter/index.ts'
import { startServer } from '../src/server.ts'
import { globalIncrements } from './fixtures/counter-client.ts'
import { makeTempDir } from './fixtures/store.ts'

// The reliability issue's shutdown order, under load: stop accepting, drain the store's queue,
// answer every committed command with its real outcome, then stop projections and close.

const COMMANDS = 2_000

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

// 1 ms a turn: most commands still wait for their turn at stop(). 1,000 ms: all of them passed
// their turn at once and wait in the store's queue, which stop() drains (two batches of 1,000).
it.each([
  { deep: 'turns', turnMs: '1' },
  { deep: 'store queue', turnMs: '1000' },
])(
  'stop() with thousands of commands in the $deep answers each committed one 303 and every other 503 with Retry-After, logging no error',
  async ({ deep, turnMs }) => {
    const lines: string[] = []
    // One session on one IP sends them all: the token buckets would answer 429 first.
    const limits = { RATE_LIMIT_PER_SESSION: '0', RATE_LIMIT_PER_IP: '0', COMMAND_TURN_MS: turnMs }
    const env = { PORT: '0', DATA_DIR: makeTempDir('ironstar-shutdown-queue-'), IRONSTAR_ENV: 'test', ...limits }
    dirs.push(env.DATA_DIR)
    const running = await startServer(loadConfig(env), {
      slices: [counter],
      logger: createLogger({ write: (line) => lines.push(line) }),
    })
    const increment = await globalIncrements(running)
    const answers = Array.from({ length: COMMANDS }, increment)
    await Bun.sleep(30) // a few commits in: most commands still wait for their turn or a commit
    const waitingTurns = running.app.turns.waiting
    const committedAtStop = running.app.store.stats().appends
    await running.stop()
    const responses = await Promise.all(answers)

    const statuses = responses.map((response) => response.status)
    const accepted = statuses.filter((status) => status === 303).length
    const refused = responses.filter((response) => response.status === 503)
    expect(accepted + refused.length).toBe(COMMANDS) // no 500, no other answer
    if (deep === 'turns') {
      expect(waitingTurns).toBeGreaterThan(COMMANDS / 2)
      expect(refused.length).toBeGreaterThan(COMMANDS / 2)
    } else {
      expect(accepted - committedAtStop).toBeGreaterThanOrEqual(COMMANDS / 2) // committed by the drain, and answered so
    }
    expect(accepted).toBeGreaterThan(0)
    expect(refused.every((response) => response.headers.get('retry-after') !== null)).toBe(true)
    expect(lines.map((line) => JSON.parse(line)).filter((line) => line.level === 'error')).toEqual([])

    // Every 303 is durable in the file, and nothing else is: the global counter counts exactly them.
    const db = new Database(join(env.DATA_DIR, 'ironstar.sqlite'), { readonly: true })
    try {
      const rows = db
        .query<{ payload: string }, []>(
          "SELECT payload FROM events WHERE event_type = 'CounterIncremented' ORDER BY global_position",
        )
        .all()
      expect(rows.map((row) => (JSON.parse(row.payload) as { value: number }).value)).toEqual(
        Array.from({ length: accepted }, (_, i) => i + 1),
      )
    } finally {
      db.close()
    }
  },
  20_000,
)

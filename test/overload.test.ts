import { afterEach, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/core/ops/log.ts'
import { counter } from '../src/features/counter/index.ts'
import { type RunningServer, startServer } from '../src/server.ts'
import { globalIncrements } from './fixtures/counter-client.ts'

// The short version of bench/faults/overload.ts: bursts of commands past the append queue on a
// long stream, through the app's real fetch handler, while /healthz is asked over the socket.

const LONG = 5_000
const QUEUE = 20
/** Each wave is more than the queue holds, so every wave is partly shed. */
const WAVE = 50
const MAX_WAVES = 100

let server: RunningServer | undefined
let dir = ''
afterEach(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function start(): Promise<RunningServer> {
  dir = mkdtempSync(join(tmpdir(), 'ironstar-overload-'))
  const env = { PORT: '0', DATA_DIR: dir, IRONSTAR_ENV: 'test', APPEND_QUEUE_LIMIT: String(QUEUE) }
  // Every request here is one session on one IP: the token buckets would answer 429 first.
  const config = loadConfig({ ...env, RATE_LIMIT_PER_SESSION: '0', RATE_LIMIT_PER_IP: '0' })
  return startServer(config, { slices: [counter] })
}

async function seedGlobalCounter(running: RunningServer): Promise<void> {
  const at = new Date().toISOString()
  for (let version = 0; version < LONG; version += QUEUE * 10) {
    const events = Array.from({ length: QUEUE * 10 }, (_, i) => ({
      type: 'CounterIncremented',
      data: { value: version + i + 1, at },
    }))
    await running.app.store.append({ type: 'counter', id: 'global' }, version, events)
  }
}

it('a burst past the append queue on a long stream gets only 303 and 503 with Retry-After, writes exactly the 303s, and /healthz answers meanwhile', async () => {
  server = await start()
  const running = server
  await seedGlobalCounter(running)
  const origin = running.url.origin
  const increment = await globalIncrements(running)
  await increment() // the hot stream is loaded once, before the burst
  const headBefore = await running.app.store.headPosition()

  // Waves of commands, one per turn of the event loop, until /healthz has answered over the socket.
  let health: Response | undefined
  const probe = fetch(`${origin}/healthz`).then((response) => {
    health = response
  })
  const sent: Promise<Response>[] = []
  for (let wave = 0; wave < MAX_WAVES && !health; wave++) {
    for (let i = 0; i < WAVE; i++) sent.push(increment())
    await new Promise((resolve) => setImmediate(resolve))
  }
  await probe
  expect(health?.status).toBe(200)
  expect(sent.length).toBeLessThan(MAX_WAVES * WAVE)
  const answers = await Promise.all(sent)

  const statuses = answers.map((response) => response.status)
  const accepted = statuses.filter((status) => status === 303).length
  const shed = answers.filter((response) => response.status === 503)
  expect(accepted + shed.length).toBe(sent.length)
  expect(accepted).toBeGreaterThan(0)
  expect(shed.length).toBeGreaterThan(0)
  expect(shed.every((response) => response.headers.get('retry-after') !== null)).toBe(true)
  expect((await running.app.store.headPosition()) - headBefore).toBe(accepted)
  // Shed by the turn budget or by the store's own queue: either way counted on /metrics.
  const metrics = await (await running.fetch(new Request(`${origin}/metrics`))).text()
  const counted = (name: string) => Number(metrics.match(new RegExp(`^${name} (\\d+)$`, 'm'))?.[1])
  expect(counted('ironstar_command_turn_refused_total') + counted('ironstar_event_store_queue_refused_total')).toBe(
    shed.length,
  )

  // After the burst the stream's state is still right: the next increment counts every acknowledged one.
  const after = await increment()
  expect(after.status).toBe(303)
  const events = await running.app.store.readStream({ type: 'counter', id: 'global' }, LONG + accepted + 2)
  expect(events.map((event) => (event.data as { value: number }).value)).toEqual([LONG + accepted + 2])
})

it('sheds commands past APPEND_QUEUE_LIMIT waiting for their turn with 503 and Retry-After, writing nothing, in one counted log line', async () => {
  dir = mkdtempSync(join(tmpdir(), 'ironstar-overload-'))
  const lines: string[] = []
  const env = { PORT: '0', DATA_DIR: dir, IRONSTAR_ENV: 'test', APPEND_QUEUE_LIMIT: '3' }
  const config = loadConfig({ ...env, RATE_LIMIT_PER_SESSION: '0', RATE_LIMIT_PER_IP: '0' })
  server = await startServer(config, { slices: [counter], logger: createLogger({ write: (line) => lines.push(line) }) })
  const running = server
  const origin = running.url.origin
  const increment = await globalIncrements(running, { withSession: false })
  const headBefore = await running.app.store.headPosition()
  // Sent in one go: all reach their turn in the same turn of the loop, three may wait.
  const answers = await Promise.all(Array.from({ length: 20 }, increment))
  const accepted = answers.filter((response) => response.status === 303).length
  const shed = answers.filter((response) => response.status === 503)
  expect(accepted + shed.length).toBe(20)
  expect(accepted).toBeGreaterThanOrEqual(3)
  expect(shed.length).toBeGreaterThan(0)
  expect(shed.every((response) => response.headers.get('retry-after') === '1')).toBe(true)
  expect((await running.app.store.headPosition()) - headBefore).toBe(accepted)
  const shedding = lines.map((line) => JSON.parse(line)).filter((line) => line.msg.startsWith('Shedding commands'))
  expect(shedding).toHaveLength(1)
  expect(shedding[0]?.refused).toBe(shed.length) // one line for the burst, counting it
  const metrics = await (await running.fetch(new Request(`${origin}/metrics`))).text()
  expect(metrics).toContain(`ironstar_command_turn_refused_total ${shed.length}`)
})

it("counts appends refused by the store's own queue on /metrics and logs them in one counted line", async () => {
  dir = mkdtempSync(join(tmpdir(), 'ironstar-overload-'))
  const lines: string[] = []
  const config = loadConfig({ PORT: '0', DATA_DIR: dir, IRONSTAR_ENV: 'test', APPEND_QUEUE_LIMIT: '3' })
  server = await startServer(config, { slices: [counter], logger: createLogger({ write: (line) => lines.push(line) }) })
  const { store } = server.app
  const at = new Date().toISOString()
  // Straight to the store, past the turn budget: 3 wait for the commit, the other 7 are refused.
  const appends = Array.from({ length: 10 }, (_, i) =>
    store.append({ type: 'counter', id: `q${i}` }, 0, [{ type: 'CounterIncremented', data: { value: 1, at } }]),
  )
  const settled = await Promise.allSettled(appends)
  expect(settled.filter((outcome) => outcome.status === 'rejected')).toHaveLength(7)
  const metrics = await (await server.fetch(new Request(`${server.url.origin}/metrics`))).text()
  expect(metrics).toMatch(/^ironstar_event_store_queue_refused_total 7$/m)
  expect(metrics).toMatch(/^ironstar_command_turn_refused_total 0$/m)
  await new Promise((resolve) => setImmediate(resolve)) // the line is written after the burst's turn
  const shedding = lines.map((line) => JSON.parse(line)).filter((line) => line.msg.startsWith('Shedding'))
  expect(shedding).toEqual([
    expect.objectContaining({ msg: 'Shedding appends: too many wait for a commit', refused: 7 }),
  ])
})

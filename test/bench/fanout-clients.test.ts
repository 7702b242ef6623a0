// The fan-out bench's two clients (the C receiver and the JavaScript one) against a real feed
// server: every client must be timed for every command, with sane times, or the bench's
// latencies mean nothing.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pickClients, startClients, startFanoutServer } from '../../bench/fanout/processes.ts'
import { latencies, loadReceipts } from '../../bench/fanout/receipts.ts'

const CLIENTS = 40
const COMMANDS = 12
const dir = mkdtempSync(join(tmpdir(), 'ironstar-fanout-clients-'))
const native = await pickClients()
let server: Awaited<ReturnType<typeof startFanoutServer>>

beforeAll(async () => {
  server = await startFanoutServer('ironstar')
})
afterAll(async () => {
  server.process.kill('SIGTERM')
  await server.process.exited
  rmSync(dir, { recursive: true, force: true })
})

/** `browser`: each client sends its own cookie and a browser's Accept-Encoding, and decodes the answer. */
async function measure(script: string, browser: boolean) {
  const clients = startClients(script)
  try {
    const cookies = join(dir, 'cookies')
    await Bun.write(cookies, Array.from({ length: CLIENTS }, (_, i) => `sid=client-${i}`).join('\n'))
    const opened = await clients.ask<{ connected: number; encodings?: Record<string, number> }>(
      `open ${CLIENTS} ${server.port} /feed${browser ? ` ${cookies}` : ''}`,
    )
    expect(opened.connected).toBe(CLIENTS)
    // The feed compresses for a browser's Accept-Encoding; the bench's clients must decode it to see any event.
    if (browser) expect(opened.encodings).toEqual({ gzip: CLIENTS })
    await Bun.sleep(100) // let every client take its opening morph before timing starts
    await clients.ask('reset')
    const acks: Record<number, number> = {}
    for (let i = 0; i < COMMANDS; i++) {
      const response = await fetch(`http://127.0.0.1:${server.port}/cmd?note=t${i}`, { method: 'POST' })
      const { position } = (await response.json()) as { position: number }
      acks[position] = performance.timeOrigin + performance.now()
      await Bun.sleep(20)
    }
    await Bun.sleep(300)
    const file = join(dir, `${script.split('/').pop()}.receipts`)
    const saved = await clients.ask<{ events: number; saved: boolean }>(`save ${file}`)
    return { saved, acks, rows: await loadReceipts(file) }
  } finally {
    clients.process.kill()
    await clients.process.exited
  }
}

const JS_CLIENTS = `${import.meta.dir}/../../bench/fanout/clients.ts`
describe.each([
  ['JavaScript clients', JS_CLIENTS, true, false],
  ['JavaScript clients as browsers (sessions, compression)', JS_CLIENTS, true, true],
  ['C receiver', native.script, native.native, false],
  ['C receiver as browsers (sessions, compression)', native.script, native.native, true],
] as const)('%s', (_name, script, available, browser) => {
  test.skipIf(!available)('time every client for every command, arrival no later than the read', async () => {
    const { saved, acks, rows } = await measure(script, browser)
    expect(saved.saved).toBe(true)
    expect(saved.events).toBeGreaterThanOrEqual(CLIENTS) // at least one patch each; commands may coalesce
    for (const position of Object.keys(acks).map(Number)) {
      const row = rows.get(position)
      expect(row?.arrived.length).toBe(CLIENTS)
      for (let i = 0; i < CLIENTS; i++) {
        const arrived = row?.arrived[i] ?? 0
        const read = row?.read[i] ?? 0
        expect(arrived).toBeGreaterThan(0)
        expect(read).toBeGreaterThanOrEqual(arrived)
      }
    }
    const result = latencies(rows, acks, CLIENTS, 'arrived')
    expect(result.missing).toBe(0)
    expect(result.deliveries).toBe(CLIENTS * COMMANDS)
    // A patch cannot arrive long before its command was acknowledged, nor seconds after.
    expect(result.deliveryP50).toBeGreaterThan(-50)
    expect(result.everyClientP99).toBeLessThan(5_000)
  })
})

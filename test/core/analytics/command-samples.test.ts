import { describe, expect, it } from 'bun:test'
import { DuckDBInstance } from '@duckdb/node-api'
import { COMMANDS_TABLE, CommandSamples } from '../../../src/core/analytics/command-samples.ts'
import { createTables } from '../../../src/core/analytics/event-tables.ts'
import { createLogger } from '../../../src/core/ops/log.ts'

const ok = { streamType: 'counter', durationMs: 1.5, outcome: 'ok' } as const

describe('CommandSamples', () => {
  it('counts the samples of a failed write as dropped, logs the fault once, and records again after', async () => {
    const instance = await DuckDBInstance.create(':memory:')
    const connection = await instance.connect()
    await createTables(connection, [COMMANDS_TABLE])
    const lines: Record<string, unknown>[] = []
    const log = createLogger({ format: 'json', write: (line) => lines.push(JSON.parse(line)) })
    const samples = new CommandSamples(connection, { log, flushMs: 60_000 })
    const count = async () =>
      Number((await connection.runAndReadAll('SELECT count(*) FROM commands')).getRows()[0]?.[0])

    for (let i = 0; i < 3; i++) samples.record(ok)
    await samples.flush()
    expect(await count()).toBe(3)

    // The table goes away under it: every write now fails, as on a broken analytics file.
    await connection.run('ALTER TABLE commands RENAME TO commands_away')
    for (const batch of [2, 4]) {
      for (let i = 0; i < batch; i++) samples.record(ok)
      await samples.flush()
    }
    expect(samples.dropped).toBe(6)
    expect(lines).toMatchObject([
      { level: 'error', msg: 'Cannot record command samples in analytics; dropping them', rows: 2 },
    ])

    await connection.run('ALTER TABLE commands_away RENAME TO commands')
    samples.record(ok)
    await samples.flush()
    expect(await count()).toBe(4)
    expect(samples.dropped).toBe(6)
    expect(lines.at(-1)).toMatchObject({
      level: 'info',
      msg: 'Command samples are recorded in analytics again',
      failures: 2,
    })
    await samples.close()
    instance.closeSync()
  })
})

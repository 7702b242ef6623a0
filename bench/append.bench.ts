// Write path: single-event commands through the full pipeline, 64 concurrent callers, fully
// durable (WAL + synchronous=FULL), against a naive one-transaction-per-command store and
// the raw bun:sqlite batched-insert ceiling, all measured in this run on the same disk.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommandHandler } from '../src/core/eventsourcing/commands.ts'
import { openDatabase } from '../src/core/eventsourcing/database.ts'
import { fold } from '../src/core/eventsourcing/decider.ts'
import type { StreamRef } from '../src/core/eventsourcing/events.ts'
import { migrate } from '../src/core/eventsourcing/migrations.ts'
import { SqliteEventStore, type SqliteEventStoreOptions } from '../src/core/eventsourcing/store/sqlite-event-store.ts'
import { migrations } from '../src/migrations.ts'
import { account, accountRegistry } from '../test/fixtures/account.ts'
import { printTable } from './table.ts'

const CALLERS = 64
const dir = mkdtempSync(join(tmpdir(), 'ironstar-bench-'))

function freshStore(name: string, options: SqliteEventStoreOptions = {}) {
  const db = openDatabase(join(dir, `${name}.sqlite`))
  migrate(db, migrations)
  return { db, store: new SqliteEventStore(db, accountRegistry(), options) }
}

/** `hot`: every caller on one stream, so each batch is one speculative chain; else a stream per caller. */
async function pipelineRate(name: string, total: number, options: SqliteEventStoreOptions = {}, hot = false) {
  const { db, store } = freshStore(name, options)
  const handler = new CommandHandler(store)
  const streams = Array.from({ length: hot ? 1 : CALLERS }, (_, i) => ({ type: 'account', id: `${name}-${i}` }))
  await Promise.all(streams.map((s) => handler.handle(account, s, { type: 'OpenAccount', owner: 'bench' })))
  const before = store.stats()
  let remaining = total
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, caller) => {
      const stream = streams[caller % streams.length] as StreamRef
      while (remaining-- > 0) await handler.handle(account, stream, { type: 'Deposit', amount: 1 })
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const after = store.stats()
  await store.close()
  db.close()
  const commits = after.commits - before.commits
  return { rate: total / seconds, perCommit: total / commits }
}

function rawCeiling(total: number, perTransaction: number): number {
  const { db } = freshStore(`raw-${perTransaction}`)
  const insert = db.query(
    `INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, payload, metadata, created_at)
     VALUES (?, 'account', ?, ?, 'MoneyDeposited', ?, NULL, ?)`,
  )
  const started = performance.now()
  for (let done = 0; done < total; done += perTransaction) {
    db.transaction(() => {
      for (let i = done; i < done + perTransaction; i++) {
        insert.run(
          Bun.randomUUIDv7(),
          `raw-${i % CALLERS}`,
          Math.floor(i / CALLERS) + 1,
          '{"amount":1}',
          new Date().toISOString(),
        )
      }
    }).immediate()
  }
  const rate = total / ((performance.now() - started) / 1000)
  db.close()
  return rate
}

async function readRate(): Promise<{ events: number; rate: number }> {
  const { db, store } = freshStore('read')
  const insert = db.query(
    `INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, payload, created_at)
     VALUES (?, 'account', ?, ?, 'MoneyDeposited', '{"amount":1}', '2026-01-01T00:00:00.000Z')`,
  )
  const total = 300_000
  db.transaction(() => {
    for (let i = 0; i < total; i++) insert.run(Bun.randomUUIDv7(), `r-${i % 1000}`, Math.floor(i / 1000) + 1)
  })()
  const started = performance.now()
  let after = 0
  let read = 0
  for (;;) {
    const page = await store.readAll({ after, limit: 5_000 })
    if (page.length === 0) break
    read += page.length
    after = page.at(-1)?.position ?? after
  }
  const rate = read / ((performance.now() - started) / 1000)
  db.close()
  return { events: read, rate }
}

async function foldTimes(): Promise<{ loadAndFoldMs: number; foldMs: number }> {
  const { db, store } = freshStore('fold')
  const stream = { type: 'account', id: 'hundred' }
  await store.append(stream, 0, [{ type: 'AccountOpened', data: { owner: 'x' } }])
  await store.append(
    stream,
    1,
    Array.from({ length: 99 }, () => ({ type: 'MoneyDeposited', data: { amount: 1 } })),
  )
  const rounds = 2_000
  let started = performance.now()
  for (let i = 0; i < rounds; i++) fold(account, account.initialState(), (await store.readStream(stream)) as never[])
  const loadAndFoldMs = (performance.now() - started) / rounds
  const events = (await store.readStream(stream)) as never[]
  started = performance.now()
  for (let i = 0; i < rounds * 10; i++) fold(account, account.initialState(), events)
  const foldMs = (performance.now() - started) / (rounds * 10)
  db.close()
  return { loadAndFoldMs, foldMs }
}

const grouped = await pipelineRate('grouped', 100_000)
const hot = await pipelineRate('hot', 100_000, {}, true)
const naive = await pipelineRate('naive', 3_000, { maxBatch: 1 })
const ceiling = rawCeiling(100_000, 1_000)
const sameBatchRaw = rawCeiling(64_000, CALLERS)
const singleRaw = rawCeiling(3_000, 1)
console.log(`Single-event commands, ${CALLERS} concurrent callers, WAL + synchronous=FULL (every ack fsynced).\n`)
printTable([
  {
    'write path': 'Ironstar pipeline, group commit',
    'commands/s': grouped.rate,
    'commands per fsync': grouped.perCommit,
    'vs ceiling': `${((grouped.rate / ceiling) * 100).toFixed(0)} %`,
  },
  {
    'write path': `Ironstar pipeline, group commit, all ${CALLERS} callers on one stream`,
    'commands/s': hot.rate,
    'commands per fsync': hot.perCommit,
    'vs ceiling': `${((hot.rate / ceiling) * 100).toFixed(0)} %`,
  },
  {
    'write path': 'naive: one transaction per command',
    'commands/s': naive.rate,
    'commands per fsync': naive.perCommit,
    'vs ceiling': `${((naive.rate / ceiling) * 100).toFixed(1)} %`,
  },
  {
    'write path': `raw bun:sqlite insert, ${CALLERS} rows per transaction (same batch as the pipeline)`,
    'commands/s': sameBatchRaw,
    'commands per fsync': CALLERS,
    'vs ceiling': `${((sameBatchRaw / ceiling) * 100).toFixed(0)} %`,
  },
  {
    'write path': 'raw bun:sqlite insert, 1 row per transaction',
    'commands/s': singleRaw,
    'commands per fsync': 1,
    'vs ceiling': `${((singleRaw / ceiling) * 100).toFixed(1)} %`,
  },
  {
    'write path': 'ceiling: raw bun:sqlite insert, 1,000 rows per transaction',
    'commands/s': ceiling,
    'commands per fsync': 1000,
    'vs ceiling': '100 %',
  },
])
const read = await readRate()
const folds = await foldTimes()
printTable([
  {
    read: `readAll by position, pages of 5,000 (${read.events.toLocaleString('en-US')} events)`,
    result: `${Math.round(read.rate).toLocaleString('en-US')} events/s`,
  },
  { read: 'load + fold a 100-event stream', result: `${folds.loadAndFoldMs.toFixed(3)} ms` },
  { read: 'fold a 100-event stream (in memory)', result: `${(folds.foldMs * 1000).toFixed(2)} µs` },
])
rmSync(dir, { recursive: true, force: true })

import { afterEach, describe, expect, it } from 'bun:test'
import { RuleViolation, UnexpectedError, VersionConflict } from '../../../src/core/errors.ts'
import { CommandHandler, type CommandOutcome } from '../../../src/core/eventsourcing/commands.ts'
import type { Decider } from '../../../src/core/eventsourcing/decider.ts'
import { account } from '../../fixtures/account.ts'
import { openTestStore, type TestStore } from '../../fixtures/store.ts'

let t: TestStore
afterEach(() => t?.close())

const stream = { type: 'account', id: 'acc-1' }

function rows() {
  return t.db
    .query<{ global_position: number; stream_version: number }, []>(
      'SELECT global_position, stream_version FROM events ORDER BY global_position',
    )
    .all()
}

describe('CommandHandler', () => {
  it('loads, decides, appends and returns the stored events', async () => {
    t = openTestStore()
    const handler = new CommandHandler(t.store)
    await handler.handle(account, stream, { type: 'OpenAccount', owner: 'ada' })
    const result = await handler.handle(account, stream, { type: 'Deposit', amount: 10 })
    expect(result.version).toBe(2)
    expect(result.events.map((e) => e.type)).toEqual(['MoneyDeposited'])
    expect(result.position).toBe(2)
  })

  it('50 concurrent commands on one stream end with contiguous versions and unique positions', async () => {
    t = openTestStore()
    const handler = new CommandHandler(t.store)
    await handler.handle(account, stream, { type: 'OpenAccount', owner: 'ada' })
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => handler.handle(account, stream, { type: 'Deposit', amount: 1 })),
    )
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true)
    const stored = rows()
    expect(stored.map((r) => r.stream_version)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1))
    expect(new Set(stored.map((r) => r.global_position)).size).toBe(51)
  })

  it('50 concurrent commands from two writers that start at the same version: each succeeds or conflicts, nothing half-written', async () => {
    t = openTestStore()
    // Two handlers are two independent caches, like two processes sharing the database.
    const writers = [new CommandHandler(t.store, { maxRetries: 3 }), new CommandHandler(t.store, { maxRetries: 3 })]
    await writers[0]?.handle(account, stream, { type: 'OpenAccount', owner: 'ada' })
    for (const writer of writers) await writer.handle(account, stream, { type: 'Deposit', amount: 0 })

    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        writers[i % 2]?.handle(account, stream, { type: 'Deposit', amount: 1 }, { commandId: `dep-${i}` }),
      ),
    )
    const succeeded = results.filter((r) => r.status === 'fulfilled').length
    const conflicts = results.filter((r) => r.status === 'rejected' && r.reason instanceof VersionConflict).length
    expect(succeeded + conflicts).toBe(50)
    expect(succeeded).toBeGreaterThan(0)

    const stored = rows()
    expect(stored.map((r) => r.stream_version)).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1))
    const positions = stored.map((r) => r.global_position)
    expect(positions.every((p, i) => i === 0 || p > (positions[i - 1] ?? 0))).toBe(true)
    // One deposit event per successful command, no more, no less.
    expect(stored.length).toBe(1 + succeeded)
    const log = t.db.query<{ n: number }, []>('SELECT count(*) AS n FROM command_log').get()
    expect(log?.n).toBe(succeeded)
  })

  it('retries after a conflict caused by another writer and then succeeds', async () => {
    t = openTestStore()
    const a = new CommandHandler(t.store)
    const b = new CommandHandler(t.store)
    await a.handle(account, stream, { type: 'OpenAccount', owner: 'ada' })
    await b.handle(account, stream, { type: 'Deposit', amount: 5 }) // a's cache is now stale
    const outcomes: CommandOutcome[] = []
    const observed = new CommandHandler(t.store, { observe: (o) => outcomes.push(o) })
    await observed.handle(account, stream, { type: 'Deposit', amount: 0 })
    const result = await a.handle(account, stream, { type: 'Withdraw', amount: 5 })
    expect(result.version).toBe(3)
    expect(outcomes.map((o) => o.outcome)).toEqual(['ok'])
  })

  it('reports a VersionConflict once its retries are used up', async () => {
    t = openTestStore()
    const stubborn = new CommandHandler(t.store, { maxRetries: 0 })
    const other = new CommandHandler(t.store)
    await stubborn.handle(account, stream, { type: 'OpenAccount', owner: 'ada' })
    await other.handle(account, stream, { type: 'Deposit', amount: 1 })
    const error = await stubborn.handle(account, stream, { type: 'Deposit', amount: 1 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(VersionConflict)
  })

  it('passes a domain refusal through as RuleViolation and writes nothing', async () => {
    t = openTestStore()
    const handler = new CommandHandler(t.store)
    await handler.handle(account, stream, { type: 'OpenAccount', owner: 'ada' })
    const error = await handler.handle(account, stream, { type: 'Withdraw', amount: 5 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RuleViolation)
    expect((error as RuleViolation).code).toBe('insufficient')
    expect(rows().length).toBe(1)
  })

  it('wraps an unexpected error in UnexpectedError with an error id and the cause', async () => {
    t = openTestStore()
    const broken: Decider<null, string, { type: 'X'; data: null }> = {
      initialState: () => null,
      decide: () => {
        throw new TypeError('boom')
      },
      evolve: (s) => s,
    }
    const error = await new CommandHandler(t.store).handle(broken, stream, 'go').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnexpectedError)
    expect((error as UnexpectedError).errorId).toMatch(/^[0-9a-f-]{36}$/)
    expect(((error as UnexpectedError).cause as Error).message).toBe('boom')
  })

  it('a command that decides nothing writes nothing', async () => {
    t = openTestStore()
    const handler = new CommandHandler(t.store)
    await handler.handle(account, stream, { type: 'OpenAccount', owner: 'ada' })
    const result = await handler.handle(account, stream, { type: 'Deposit', amount: 0 })
    expect(result.events).toEqual([])
    expect(rows().length).toBe(1)
  })

  it('a retried command id returns the original events without deciding again', async () => {
    t = openTestStore()
    const handler = new CommandHandler(t.store)
    await handler.handle(account, stream, { type: 'OpenAccount', owner: 'ada' })
    const first = await handler.handle(account, stream, { type: 'Deposit', amount: 7 }, { commandId: 'k1' })
    const retry = await handler.handle(account, stream, { type: 'Deposit', amount: 7 }, { commandId: 'k1' })
    expect(retry.duplicate).toBe(true)
    expect(retry.events.map((e) => e.eventId)).toEqual(first.events.map((e) => e.eventId))
    expect(rows().length).toBe(2)
    // The cache was not advanced by the duplicate: the next command sees balance 7, not 14.
    const error = await handler.handle(account, stream, { type: 'Withdraw', amount: 8 }).catch((e: unknown) => e)
    expect((error as Error).message).toContain('balance is 7')
  })

  it('recovers the cache after a failed append so the next command decides on durable state', async () => {
    t = openTestStore(undefined, { maxPayloadBytes: 200 })
    const handler = new CommandHandler(t.store)
    await handler.handle(account, stream, { type: 'OpenAccount', owner: 'ada' })
    const big = await handler
      .handle(account, { type: 'account', id: 'big' }, { type: 'OpenAccount', owner: 'x'.repeat(500) })
      .catch((e: unknown) => e)
    expect((big as Error).name).toBe('PayloadTooLargeError')
    const opened = await handler.handle(account, { type: 'account', id: 'big' }, { type: 'OpenAccount', owner: 'y' })
    expect(opened.version).toBe(1)
  })
})

import { afterEach, expect, it } from 'bun:test'
import { OverloadedError, RuleViolation } from '../../../src/core/errors.ts'
import { CommandHandler } from '../../../src/core/eventsourcing/commands.ts'
import { fold } from '../../../src/core/eventsourcing/decider.ts'
import type { StreamRef } from '../../../src/core/eventsourcing/events.ts'
import type { EventStore } from '../../../src/core/eventsourcing/store/event-store.ts'
import { type AccountEvent, account } from '../../fixtures/account.ts'
import { type BackendStore, describeEachBackend } from '../../fixtures/store-backends.ts'

const LONG = 2_000
const hot: StreamRef = { type: 'account', id: 'hot' }

/** The real store, with a count of the events its stream reads returned (what a refold costs). */
function countingReads(store: EventStore): { store: EventStore; read: () => number } {
  let read = 0
  const counted: EventStore = {
    append: (...args) => store.append(...args),
    findCommand: (commandId) => store.findCommand(commandId),
    async readStream(stream, fromVersion) {
      const events = await store.readStream(stream, fromVersion)
      read += events.length
      return events
    },
    readAll: (options) => store.readAll(options),
    headPosition: () => store.headPosition(),
    onCommit: (listener) => store.onCommit(listener),
    stats: () => store.stats(),
    storageFault: () => store.storageFault(),
    close: () => store.close(),
  }
  return { store: counted, read: () => read }
}

/** A stream of LONG events: opened, then deposits of 1, written straight to the store. */
async function seedLongStream(store: EventStore): Promise<void> {
  await store.append(hot, 0, [{ type: 'AccountOpened', data: { owner: 'ada' } }])
  for (let version = 1; version < LONG; version += 500) {
    const deposits = Array.from({ length: Math.min(500, LONG - version) }, () => ({
      type: 'MoneyDeposited',
      data: { amount: 1 },
    }))
    await store.append(hot, version, deposits)
  }
}

async function freshBalance(store: EventStore): Promise<number> {
  const history = (await store.readStream(hot)) as unknown as AccountEvent[]
  return fold(account, account.initialState(), history).balance
}

describeEachBackend('CommandHandler after refused and failed appends', (backend) => {
  let b: BackendStore | undefined
  afterEach(async () => {
    await b?.close()
    b = undefined
  })

  it('refused appends on a long stream: later commands read nothing again, state stays the fresh fold', async () => {
    b = await backend.open(undefined, { maxPending: 5 })
    await seedLongStream(b.store)
    const reads = countingReads(b.store)
    const handler = new CommandHandler(reads.store)
    await handler.handle(account, hot, { type: 'Deposit', amount: 1 })
    const afterWarmUp = reads.read()

    // One turn of 30 commands against a queue of 5: most are refused before anything is written.
    const burst = await Promise.allSettled(
      Array.from({ length: 30 }, () => handler.handle(account, hot, { type: 'Deposit', amount: 1 })),
    )
    const refused = burst.filter((r) => r.status === 'rejected' && r.reason instanceof OverloadedError).length
    const acknowledged = burst.filter((r) => r.status === 'fulfilled').length
    expect(refused).toBeGreaterThan(0)
    expect(acknowledged + refused).toBe(30)

    for (let i = 0; i < 5; i++) await handler.handle(account, hot, { type: 'Deposit', amount: 1 })
    // Nothing after the warm-up read the stream again: not the refused appends, not the commands after them.
    expect(reads.read() - afterWarmUp).toBe(0)
    const balance = LONG - 1 + 1 + acknowledged + 5
    expect(await freshBalance(b.store)).toBe(balance)
    expect(await b.count('events')).toBe(LONG + 1 + acknowledged + 5)
    const overdraw = await handler.handle(account, hot, { type: 'Withdraw', amount: balance + 1 }).catch((e) => e)
    expect((overdraw as Error).message).toContain(`balance is ${balance}`)
  })

  it('a conflict with another writer is retried on the tail of the log, not on a refold of the stream', async () => {
    b = await backend.open()
    await seedLongStream(b.store)
    const reads = countingReads(b.store)
    const handler = new CommandHandler(reads.store)
    const other = new CommandHandler(b.store)
    await handler.handle(account, hot, { type: 'Deposit', amount: 1 })
    await other.handle(account, hot, { type: 'Deposit', amount: 10 })
    await other.handle(account, hot, { type: 'Deposit', amount: 10 })
    const before = reads.read()

    const result = await handler.handle(account, hot, { type: 'Deposit', amount: 1 })
    expect(result.version).toBe(LONG + 4)
    // The retry read the two events the other writer added, and nothing before them.
    expect(reads.read() - before).toBe(2)
    expect(await freshBalance(b.store)).toBe(LONG - 1 + 1 + 20 + 1)
    const overdraw = await handler.handle(account, hot, { type: 'Withdraw', amount: LONG + 22 }).catch((e) => e)
    expect((overdraw as Error).message).toContain(`balance is ${LONG + 21}`)
  })

  it('a refusal on a long stream is confirmed by reading what is newer than the cache, not the whole stream', async () => {
    b = await backend.open()
    await seedLongStream(b.store)
    const reads = countingReads(b.store)
    const handler = new CommandHandler(reads.store)
    await handler.handle(account, hot, { type: 'Deposit', amount: 1 })
    const before = reads.read()

    const error = await handler.handle(account, hot, { type: 'Withdraw', amount: LONG + 1 }).catch((e) => e)
    expect(error).toBeInstanceOf(RuleViolation)
    expect(reads.read() - before).toBe(0)

    // Another writer makes the withdrawal possible: the refusal is re-decided on the tail it wrote.
    await new CommandHandler(b.store).handle(account, hot, { type: 'Deposit', amount: 5 })
    const withdrawn = await handler.handle(account, hot, { type: 'Withdraw', amount: LONG + 1 })
    expect(withdrawn.version).toBe(LONG + 3)
    expect(reads.read() - before).toBe(1)
    expect(await freshBalance(b.store)).toBe(LONG + 5 - (LONG + 1))
  })
})

import { afterEach, expect, it } from 'bun:test'
import { RuleViolation, VersionConflict } from '../../../src/core/errors.ts'
import { CommandHandler } from '../../../src/core/eventsourcing/commands.ts'
import type { StreamRef } from '../../../src/core/eventsourcing/events.ts'
import { ChainLink } from '../../../src/core/eventsourcing/store/chain-link.ts'
import type { EventStore } from '../../../src/core/eventsourcing/store/event-store.ts'
import { type AccountEvent, account } from '../../fixtures/account.ts'
import { type BackendStore, describeEachBackend, sqliteBackend } from '../../fixtures/store-backends.ts'

const acct: StreamRef = { type: 'account', id: 'chain' }

/** The balance after every event of the log, folded one by one: the account's invariant is that none is negative. */
async function balancesInTheLog(store: EventStore, stream: StreamRef): Promise<number[]> {
  const history = (await store.readStream(stream)) as unknown as AccountEvent[]
  const balances: number[] = []
  let state = account.initialState()
  for (const event of history) {
    state = account.evolve(state, event)
    balances.push(state.balance)
  }
  return balances
}

/** What a command came to: its events' version, or the refusal (a conflict would fail the test). */
function outcome(settled: PromiseSettledResult<{ version: number }>): number | 'refused' {
  if (settled.status === 'fulfilled') return settled.value.version
  if (settled.reason instanceof RuleViolation) return 'refused'
  throw settled.reason
}

describeEachBackend('CommandHandler: an append decided on a queued one commits only if that one did', (backend) => {
  let b: BackendStore | undefined
  afterEach(async () => {
    await b?.close()
    b = undefined
  })

  const cases = [
    { name: 'another handler on the same store, the chain in one batch', maxBatch: 1_000, sibling: false },
    { name: 'another handler on the same store, the chain across batches', maxBatch: 1, sibling: false },
    { name: 'another store on the same database (another node)', maxBatch: 1_000, sibling: true },
  ]
  for (const { name, maxBatch, sibling } of cases) {
    it(`another writer took the version a queued append expected: ${name}`, async () => {
      b = await backend.open(undefined, { maxBatch })
      const ours = new CommandHandler(b.store)
      const theirs = new CommandHandler(sibling ? b.openSibling() : b.store)
      await ours.handle(account, acct, { type: 'OpenAccount', owner: 'ada' })
      // The other writer deposits 1 at version 2; our cache still says version 1, balance 0.
      await theirs.handle(account, acct, { type: 'Deposit', amount: 1 })

      // Our deposit of 10 expects version 1 and conflicts. The withdrawal of 10 is decided on the
      // deposit's state (balance 10) and expects version 2: the other writer's event is there.
      const [deposit, withdrawal] = await Promise.allSettled([
        ours.handle(account, acct, { type: 'Deposit', amount: 10 }),
        ours.handle(account, acct, { type: 'Withdraw', amount: 10 }),
      ])

      expect(Math.min(...(await balancesInTheLog(b.store, acct)))).toBeGreaterThanOrEqual(0)
      // Both were decided again on the log's state: the deposit landed, the withdrawal after it or refused.
      expect(outcome(deposit)).toBe(3)
      const withdrawn = outcome(withdrawal) === 4 ? 10 : 0
      expect(await balancesInTheLog(b.store, acct)).toEqual(withdrawn ? [0, 1, 11, 1] : [0, 1, 11])
    })
  }

  it('the store refuses an append decided on one that conflicted, and writes the chain in one commit when all hold', async () => {
    b = await backend.open()
    await b.store.append(acct, 0, [{ type: 'AccountOpened', data: { owner: 'ada' } }])
    await b.openSibling().append(acct, 1, [{ type: 'MoneyDeposited', data: { amount: 1 } }])
    const deposit = new ChainLink(null)
    const [first, second] = await Promise.allSettled([
      b.store.append(acct, 1, [{ type: 'MoneyDeposited', data: { amount: 10 } }], { chain: deposit }),
      b.store.append(acct, 2, [{ type: 'MoneyWithdrawn', data: { amount: 10 } }], { chain: new ChainLink(deposit) }),
    ])
    expect(first.status === 'rejected' && first.reason).toBeInstanceOf(VersionConflict)
    expect(second.status === 'rejected' && second.reason).toBeInstanceOf(VersionConflict)
    expect(await b.count('events')).toBe(2)

    const commits = b.store.stats().commits
    const again = new ChainLink(null)
    const chain = await Promise.all([
      b.store.append(acct, 2, [{ type: 'MoneyDeposited', data: { amount: 10 } }], { chain: again }),
      b.store.append(acct, 3, [{ type: 'MoneyWithdrawn', data: { amount: 10 } }], { chain: new ChainLink(again) }),
    ])
    expect(chain.map((result) => result.nextVersion)).toEqual([3, 4])
    expect(b.store.stats().commits).toBe(commits + 1)
  })

  it('the store refuses an append decided on a duplicate: the duplicate wrote nothing to build on', async () => {
    b = await backend.open()
    await b.store.append(acct, 0, [{ type: 'AccountOpened', data: { owner: 'ada' } }])
    // Another node applied command "c" first, as a deposit of 1 at version 2.
    const deposit = { commandId: 'c' }
    await b.openSibling().append(acct, 1, [{ type: 'MoneyDeposited', data: { amount: 1 } }], deposit)
    const ours = new ChainLink(null)
    const [first, second] = await Promise.allSettled([
      b.store.append(acct, 1, [{ type: 'MoneyDeposited', data: { amount: 10 } }], { ...deposit, chain: ours }),
      b.store.append(acct, 2, [{ type: 'MoneyWithdrawn', data: { amount: 10 } }], { chain: new ChainLink(ours) }),
    ])
    expect(first.status === 'fulfilled' && first.value.duplicate).toBe(true)
    expect(second.status === 'rejected' && second.reason).toBeInstanceOf(VersionConflict)
    expect(await balancesInTheLog(b.store, acct)).toEqual([0, 1])
  })
})

it('a cache entry evicted while its append is queued: appends decided on the reloaded state wait for it (SQLite)', async () => {
  // SQLite's reads never yield to the event loop, so no batch is written between these calls:
  // the stream is evicted and read again while the first withdrawal still waits for its batch.
  const b = await sqliteBackend.open()
  try {
    const handler = new CommandHandler(b.store, { cacheSize: 1 })
    await handler.handle(account, acct, { type: 'OpenAccount', owner: 'ada' })
    await handler.handle(account, acct, { type: 'Deposit', amount: 5 })
    const commits = b.store.stats().commits

    const emptied = handler.handle(account, acct, { type: 'Withdraw', amount: 5 })
    // Reading another stream evicts this one (a cache of one); the command there is refused.
    const elsewhere = handler.handle(account, { type: 'account', id: 'other' }, { type: 'Deposit', amount: 1 })
    await expect(elsewhere).rejects.toBeInstanceOf(RuleViolation)
    expect(b.store.stats().commits).toBe(commits)
    // Read again at version 2 (balance 5): the deposit expects version 2, the withdrawal of 15 is
    // decided on the deposit's state (15) and expects version 3, which the first withdrawal takes.
    const refilled = handler.handle(account, acct, { type: 'Deposit', amount: 10 })
    const overdrawn = handler.handle(account, acct, { type: 'Withdraw', amount: 15 })
    const settled = await Promise.allSettled([emptied, refilled, overdrawn])

    expect(Math.min(...(await balancesInTheLog(b.store, acct)))).toBeGreaterThanOrEqual(0)
    expect(settled.map(outcome)).toEqual([3, 4, 'refused'])
    expect(await balancesInTheLog(b.store, acct)).toEqual([0, 5, 0, 10])
  } finally {
    await b.close()
  }
})

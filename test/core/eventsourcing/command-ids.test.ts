import { afterEach, describe, expect, it } from 'bun:test'
import { CommandHandler } from '../../../src/core/eventsourcing/commands.ts'
import { account } from '../../fixtures/account.ts'
import { openTestStore, type TestStore } from '../../fixtures/store.ts'

let t: TestStore
afterEach(() => t?.close())

const stream = { type: 'account', id: 'acc-1' }
const commandIds = () =>
  t.db.query<{ command_id: string }, []>('SELECT command_id FROM command_log ORDER BY command_id').all()

describe('CommandHandler command ids', () => {
  it('answers a retry with the first outcome even when deciding again would now refuse', async () => {
    t = openTestStore()
    const handler = new CommandHandler(t.store)
    const first = await handler.handle(account, stream, { type: 'OpenAccount', owner: 'ada' }, { commandId: 'open-1' })
    // Deciding OpenAccount on an open account refuses; the retry must not get that refusal.
    const retry = await handler.handle(account, stream, { type: 'OpenAccount', owner: 'ada' }, { commandId: 'open-1' })
    expect(retry).toMatchObject({ duplicate: true, version: 1, position: first.position })
    expect(retry.events.map((e) => e.eventId)).toEqual(first.events.map((e) => e.eventId))
    expect(await t.store.headPosition()).toBe(1)
  })

  it('gives the commands of a scope ids in call order, the same ones on a rerun', async () => {
    t = openTestStore()
    const handler = new CommandHandler(t.store)
    const work = async () => {
      await handler.handle(account, stream, { type: 'OpenAccount', owner: 'ada' })
      return handler.handle(account, stream, { type: 'Deposit', amount: 5 })
    }
    const first = await handler.withCommandIds('req-a', work)
    const rerun = await handler.withCommandIds('req-a', work)
    expect(first.duplicate).toBe(false)
    expect(rerun).toMatchObject({ duplicate: true, position: first.position })
    expect(commandIds()).toEqual([{ command_id: 'req-a.0' }, { command_id: 'req-a.1' }])
    expect(await t.store.headPosition()).toBe(2)
  })

  it('gives no id outside a scope, nor to a command its work left running after it settled', async () => {
    t = openTestStore()
    const handler = new CommandHandler(t.store)
    await handler.handle(account, stream, { type: 'OpenAccount', owner: 'ada' })
    let later: Promise<unknown> = Promise.resolve()
    await handler.withCommandIds('req-b', async () => {
      later = Bun.sleep(5).then(() => handler.handle(account, stream, { type: 'Deposit', amount: 1 }))
    })
    await later
    await handler.handle(account, stream, { type: 'Deposit', amount: 1 })
    expect(commandIds()).toEqual([])
    expect(await t.store.headPosition()).toBe(3)
  })
})

import { afterEach, expect, it } from 'bun:test'
import { UnknownEventTypeError } from '../../../../src/core/errors.ts'
import { type BackendStore, describeEachBackend } from '../../../fixtures/store-backends.ts'

let t: BackendStore | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

const opened = { type: 'AccountOpened', data: { owner: 'ada' } }
const deposited = (amount: number) => ({ type: 'MoneyDeposited', data: { amount } })

describeEachBackend('EventStore reads', (backend) => {
  const open = async () => {
    t = await backend.open()
    return t
  }

  it('readStream() returns one stream from a version, in version order', async () => {
    const t = await open()
    await t.store.append({ type: 'account', id: 'x' }, 0, [opened, deposited(1), deposited(2)])
    await t.store.append({ type: 'account', id: 'y' }, 0, [opened])
    const fromTwo = await t.store.readStream({ type: 'account', id: 'x' }, 2)
    expect(fromTwo.map((e) => [e.version, e.data])).toEqual([
      [2, { amount: 1 }],
      [3, { amount: 2 }],
    ])
    expect(await t.store.readStream({ type: 'account', id: 'missing' })).toEqual([])
  })

  it('readAll() pages through every event by global position', async () => {
    const t = await open()
    for (let i = 0; i < 25; i++) await t.store.append({ type: 'account', id: `s${i}` }, 0, [opened])
    const positions: number[] = []
    let after = 0
    for (;;) {
      const page = await t.store.readAll({ after, limit: 10 })
      if (page.length === 0) break
      positions.push(...page.map((e) => e.position))
      after = page.at(-1)?.position ?? after
    }
    expect(positions).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
    expect(await t.store.headPosition()).toBe(25)
  })

  it('readAll() throws UnknownEventTypeError for a stored type the code does not know', async () => {
    const t = await open()
    await t.run(
      `INSERT INTO events (global_position, event_id, stream_type, stream_id, stream_version, event_type, payload, created_at)
       VALUES (1, 'e1', 'account', 'z', 1, 'AccountFrozen', '{}', '2026-01-01T00:00:00.000Z')`,
    )
    await expect(t.store.readAll()).rejects.toBeInstanceOf(UnknownEventTypeError)
    await expect(t.store.readAll()).rejects.toThrow('Cannot read event of unknown type "AccountFrozen"')
  })
})

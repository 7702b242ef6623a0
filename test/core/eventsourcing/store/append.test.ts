import { afterEach, describe, expect, it } from 'bun:test'
import {
  OverloadedError,
  PayloadTooLargeError,
  UnknownEventTypeError,
  ValidationError,
  VersionConflict,
} from '../../../../src/core/errors.ts'
import { createLogger } from '../../../../src/core/ops/log.ts'
import { type BackendStore, describeEachBackend } from '../../../fixtures/store-backends.ts'

const stream = { type: 'account', id: 'a1' }
const opened = { type: 'AccountOpened', data: { owner: 'ada' } }
const deposited = (amount: number) => ({ type: 'MoneyDeposited', data: { amount } })

let t: BackendStore | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

describeEachBackend('EventStore', (backend) => {
  const open = async (...args: Parameters<typeof backend.open>) => {
    t = await backend.open(...args)
    return t
  }
  const countRows = () => (t ? t.count('events') : Promise.resolve(-1))

  describe('append', () => {
    it('append() writes versions 1..n and global positions, and returns the stored events', async () => {
      const t = await open()
      const result = await t.store.append(stream, 0, [opened, deposited(5)])
      expect(result.nextVersion).toBe(2)
      expect(result.duplicate).toBe(false)
      expect(result.events.map((e) => [e.version, e.position, e.type])).toEqual([
        [1, 1, 'AccountOpened'],
        [2, 2, 'MoneyDeposited'],
      ])
      expect(result.events[0]?.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/)
      expect(result.events[0]?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      expect(await t.store.headPosition()).toBe(2)
    })

    it('append() with expected version 0 on an existing stream throws a typed VersionConflict', async () => {
      const t = await open()
      await t.store.append(stream, 0, [opened])
      const error = await t.store.append(stream, 0, [opened]).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(VersionConflict)
      expect(error).toMatchObject({ stream, expected: 0, actual: 1 })
      expect(await countRows()).toBe(1)
    })

    it('append() with an explicit "any" skips the version check', async () => {
      const t = await open()
      await t.store.append(stream, 0, [opened])
      const result = await t.store.append(stream, 'any', [deposited(1)])
      expect(result.nextVersion).toBe(2)
    })

    it('append() with a known command id returns the original result and writes nothing', async () => {
      const t = await open()
      const first = await t.store.append(stream, 0, [opened, deposited(3)], { commandId: 'cmd-1' })
      const retry = await t.store.append(stream, 0, [opened, deposited(3)], { commandId: 'cmd-1' })
      expect(retry.duplicate).toBe(true)
      expect(retry.events.map((e) => e.eventId)).toEqual(first.events.map((e) => e.eventId))
      expect(retry.position).toBe(first.position)
      expect(await countRows()).toBe(2)
      expect(t.store.stats().events).toBe(2)
    })

    it('findCommand() answers what a command id wrote, as a duplicate, and null for an unknown id', async () => {
      const t = await open()
      const first = await t.store.append(stream, 0, [opened, deposited(3)], { commandId: 'cmd-2' })
      await t.store.append({ type: 'account', id: 'other' }, 0, [opened])
      const found = await t.store.findCommand('cmd-2')
      expect(found).toEqual({ ...first, duplicate: true })
      expect(await t.store.findCommand('cmd-unknown')).toBeNull()
      expect(await countRows()).toBe(3)
    })

    it('append() stores the command id and metadata with every event', async () => {
      const t = await open()
      await t.store.append(stream, 0, [opened], { commandId: 'c-9', metadata: { session: 's1' } })
      const [event] = await t.store.readStream(stream)
      expect(event?.metadata).toEqual({ session: 's1', commandId: 'c-9' })
    })

    describe('bad input is refused with a typed error and nothing is written', () => {
      const cases: [string, unknown, new (...args: never[]) => Error][] = [
        ['a BigInt', { amount: 10n }, ValidationError],
        ['a function', { amount: () => 1 }, ValidationError],
        ['NaN', { amount: Number.NaN }, ValidationError],
        ['a Map', { amount: new Map() }, ValidationError],
        ['undefined', undefined, ValidationError],
        ['a 2 MiB string', { blob: 'x'.repeat(2 * 1024 * 1024) }, PayloadTooLargeError],
      ]
      for (const [name, data, errorType] of cases) {
        it(`append() refuses a payload holding ${name}`, async () => {
          const t = await open()
          const error = await t.store.append(stream, 0, [{ type: 'AccountOpened', data }]).catch((e: unknown) => e)
          expect(error).toBeInstanceOf(errorType)
          expect(await countRows()).toBe(0)
        })
      }

      it('append() refuses a circular payload', async () => {
        const t = await open()
        const data: Record<string, unknown> = {}
        data.self = data
        const error = await t.store.append(stream, 0, [{ type: 'AccountOpened', data }]).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ValidationError)
        expect(await countRows()).toBe(0)
      })

      it('append() refuses an empty event list', async () => {
        const t = await open()
        const error = await t.store.append(stream, 0, []).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ValidationError)
        expect((error as Error).message).toContain('no events given')
        expect(await countRows()).toBe(0)
      })

      it('append() refuses an event type nobody registered', async () => {
        const t = await open()
        const error = await t.store.append(stream, 0, [{ type: 'Nope', data: {} }]).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(UnknownEventTypeError)
        expect(await countRows()).toBe(0)
      })

      it('append() honours a configured payload limit', async () => {
        const t = await open(undefined, { maxPayloadBytes: 100 })
        const error = await t.store
          .append(stream, 0, [{ type: 'AccountOpened', data: { owner: 'é'.repeat(60) } }])
          .catch((e: unknown) => e)
        expect(error).toBeInstanceOf(PayloadTooLargeError)
        expect(await countRows()).toBe(0)
      })
    })
  })

  describe('group commit', () => {
    it('commits appends that arrive together in one transaction', async () => {
      const t = await open()
      const appends = Array.from({ length: 200 }, (_, i) =>
        t.store.append({ type: 'account', id: `g${i}` }, 0, [opened]),
      )
      await Promise.all(appends)
      expect(t.store.stats()).toEqual({ commits: 1, appends: 200, events: 200, storageFailures: 0, queueRefused: 0 })
    })

    it('fails only the conflicting append of a batch', async () => {
      const t = await open()
      await t.store.append(stream, 0, [opened])
      const [ok1, conflict, ok2] = await Promise.allSettled([
        t.store.append({ type: 'account', id: 'b1' }, 0, [opened]),
        t.store.append(stream, 0, [opened]),
        t.store.append({ type: 'account', id: 'b2' }, 0, [opened]),
      ])
      expect(ok1.status).toBe('fulfilled')
      expect(conflict.status).toBe('rejected')
      expect((conflict as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflict)
      expect(ok2.status).toBe('fulfilled')
      expect(await countRows()).toBe(3)
    })

    it('publishes each commit once to listeners, in position order, before appends resolve', async () => {
      const t = await open()
      const seen: number[] = []
      t.store.onCommit((events) => seen.push(...events.map((e) => e.position)))
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.store.append({ type: 'account', id: `p${i}` }, 0, [opened, deposited(1)]),
        ),
      )
      expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
      expect(results.map((r) => r.position)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * (i + 1)))
    })

    it('reports a failing listener on its log and still acknowledges the durable append', async () => {
      const lines: string[] = []
      const t = await open(undefined, { log: createLogger({ write: (line) => lines.push(line) }) })
      t.store.onCommit(() => {
        throw new Error('listener broke')
      })
      expect((await t.store.append(stream, 0, [opened])).nextVersion).toBe(1)
      expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['Commit listener failed'])
      expect(await countRows()).toBe(1)
    })

    it('refuses appends past maxPending with OverloadedError, counts each and logs the burst as one counted line', async () => {
      const lines: string[] = []
      const t = await open(undefined, { maxPending: 5, log: createLogger({ write: (line) => lines.push(line) }) })
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.store.append({ type: 'account', id: `q${i}` }, 0, [opened]).then(
            () => 'ok',
            (error: unknown) => error,
          ),
        ),
      )
      const refused = outcomes.filter((outcome) => outcome instanceof OverloadedError).length
      expect(refused).toBe(15) // queued in one turn: five wait, the rest are refused at once
      expect(outcomes.filter((outcome) => outcome === 'ok')).toHaveLength(5)
      expect(t.store.stats().queueRefused).toBe(15)
      await new Promise((resolve) => setImmediate(resolve)) // the line is written after the burst's turn
      expect(lines.map((line) => JSON.parse(line))).toEqual([
        expect.objectContaining({ level: 'warn', msg: 'Shedding appends: too many wait for a commit', refused: 15 }),
      ])
      expect(await countRows()).toBe(5)
    })

    it('close() commits what is queued and then refuses new appends', async () => {
      const t = await open()
      const pending = t.store.append(stream, 0, [opened])
      await t.store.close()
      expect((await pending).nextVersion).toBe(1)
      await expect(t.store.append(stream, 1, [deposited(1)])).rejects.toThrow('closed')
    })
  })
})

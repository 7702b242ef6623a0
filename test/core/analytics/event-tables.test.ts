import { describe, expect, it } from 'bun:test'
import { deriveSql, packChunk } from '../../../src/core/analytics/event-tables.ts'
import type { StoredEvent } from '../../../src/core/eventsourcing/events.ts'

function event(position: number, data: unknown, id = `s-${position}`): StoredEvent {
  return {
    position,
    eventId: `e-${position}`,
    stream: { type: 'account', id },
    version: 1,
    type: 'MoneyDeposited',
    schemaVersion: 1,
    data,
    metadata: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  }
}

describe('packChunk()', () => {
  it('packs a batch into one string per column, one value per event', () => {
    const { chunk, next } = packChunk([event(1, { amount: 1 }), event(2, { amount: 2 })], 0)
    expect(next).toBe(2)
    expect(chunk?.map((column) => column.split('\x1e'))).toEqual([
      ['1', '2'],
      ['account', 'account'],
      ['s-1', 's-2'],
      ['1', '1'],
      ['MoneyDeposited', 'MoneyDeposited'],
      ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
      ['', ''],
      ['{"amount":1}', '{"amount":2}'],
    ])
  })

  it('cuts a chunk at the event count and at the size bound, taking at least one event', () => {
    const events = Array.from({ length: 10 }, (_, i) => event(i + 1, { text: 'x'.repeat(40) }))
    expect(packChunk(events, 0, 3).next).toBe(3)
    const positions: string[] = []
    for (let start = 0; start < events.length; ) {
      const { chunk, next } = packChunk(events, start, 4096, 250)
      const size = (chunk ?? []).reduce((sum, column) => sum + column.length, 0)
      expect(size).toBeLessThanOrEqual(250)
      positions.push(...(chunk?.[0]?.split('\x1e') ?? []))
      start = next
    }
    expect(positions).toEqual(events.map((e) => String(e.position)))
    expect(packChunk(events, 0, 4096, 1)).toMatchObject({ next: 1 })
  })

  it('keeps separator characters in payloads escaped by JSON', () => {
    const { chunk } = packChunk([event(1, { text: 'a\x1eb\x1fc' })], 0)
    expect(chunk?.[7]).toBe('{"text":"a\\u001eb\\u001fc"}')
  })

  it('stops before an id holding the separator and gives that event alone as null, for value by value', () => {
    const events = [event(1, {}), event(2, {}, 'bad\x1eid'), event(3, {})]
    expect(packChunk(events, 0)).toMatchObject({ next: 1 })
    expect(packChunk(events, 1)).toEqual({ chunk: null, next: 2 })
    expect(packChunk(events, 2).chunk?.[0]).toBe('3')
  })
})

describe('deriveSql()', () => {
  it('fills a derived table from the events after the previous checkpoint, for its event types only', () => {
    const sql = deriveSql({
      name: 'deposits',
      eventTypes: ['MoneyDeposited', "O'Brien"],
      columns: { amount: { type: 'DOUBLE', sql: "CAST(payload->>'amount' AS DOUBLE)" } },
    })
    expect(sql).toContain('INSERT INTO deposits (position, "amount")')
    expect(sql).toContain("WHERE position > $1 AND list_contains(['MoneyDeposited', 'O''Brien'], type)")
  })
})

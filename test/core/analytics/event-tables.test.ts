import { describe, expect, it } from 'bun:test'
import { deriveSql, packEvents } from '../../../src/core/analytics/event-tables.ts'
import type { StoredEvent } from '../../../src/core/events.ts'

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

describe('packEvents()', () => {
  it('packs a batch into one string of one record per event', () => {
    const parts = packEvents([event(1, { amount: 1 }), event(2, { amount: 2 })])
    expect(parts).toHaveLength(1)
    const records = parts?.[0]?.split('\x1e') ?? []
    expect(records.map((record) => record.split('\x1f'))).toEqual([
      ['1', 'account', 's-1', '1', 'MoneyDeposited', '2026-01-01T00:00:00.000Z', '', '{"amount":1}'],
      ['2', 'account', 's-2', '1', 'MoneyDeposited', '2026-01-01T00:00:00.000Z', '', '{"amount":2}'],
    ])
  })

  it('splits a batch of large payloads into several strings under the size bound', () => {
    const events = Array.from({ length: 10 }, (_, i) => event(i + 1, { text: 'x'.repeat(40) }))
    const parts = packEvents(events, 250) ?? []
    expect(parts.length).toBeGreaterThan(1)
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(250)
    expect(parts.flatMap((part) => part.split('\x1e')).map((record) => record.split('\x1f')[0])).toEqual(
      events.map((e) => String(e.position)),
    )
  })

  it('keeps separator characters in payloads escaped by JSON', () => {
    const parts = packEvents([event(1, { text: 'a\x1eb\x1fc' })]) ?? []
    expect(parts[0]?.split('\x1f')[7]).toBe('{"text":"a\\u001eb\\u001fc"}')
  })

  it('returns null when an id holds a separator, so the batch goes value by value', () => {
    expect(packEvents([event(1, {}, 'bad\x1fid')])).toBeNull()
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
    expect(sql).toContain("WHERE position > $1 AND type IN ('MoneyDeposited', 'O''Brien')")
  })
})

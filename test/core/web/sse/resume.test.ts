import { afterEach, describe, expect, it } from 'bun:test'
import { hasChangedSince, readResumePoint } from '../../../../src/core/web/sse/resume.ts'
import { isBoardEvent, notesRegistry } from '../../../fixtures/notes.ts'
import { openTestStore, type TestStore } from '../../../fixtures/store.ts'

const request = (url: string, headers: Record<string, string> = {}) => {
  const req = new Request(url, { headers })
  return readResumePoint(req, new URL(req.url))
}

describe('readResumePoint', () => {
  it('prefers Last-Event-ID over ?since and reads neither as no view yet', () => {
    expect(request('http://x/feed?since=3', { 'Last-Event-ID': '9' })).toEqual({ ok: true, since: 9 })
    expect(request('http://x/feed?since=3')).toEqual({ ok: true, since: 3 })
    expect(request('http://x/feed')).toEqual({ ok: true, since: null })
    expect(request('http://x/feed?since=', { 'Last-Event-ID': '' })).toEqual({ ok: true, since: null })
  })

  it('refuses anything but a whole number, naming where it came from', () => {
    expect(request('http://x/feed?since=1.5')).toEqual({
      ok: false,
      error: 'Cannot resume feed: since "1.5" is not a position (a whole number ≥ 0)',
    })
    expect(request('http://x/feed', { 'Last-Event-ID': '1e3' }).ok).toBe(false)
    expect(request('http://x/feed?since=99999999999999999999').ok).toBe(false)
  })
})

describe('hasChangedSince', () => {
  let opened: TestStore | null = null
  afterEach(async () => {
    await opened?.close()
    opened = null
  })

  async function storeWith(types: string[]) {
    opened = openTestStore(notesRegistry())
    for (const type of types) await opened.store.append({ type: 't', id: '1' }, 'any', [{ type, data: { text: 'x' } }])
    return opened.store
  }

  it('is true only when a relevant event lies in (since, until]', async () => {
    const store = await storeWith(['NoteAdded', 'Unrelated', 'Unrelated', 'NoteAdded'])
    const range = (since: number, until: number) => ({ since, until, isRelevant: isBoardEvent })
    expect(await hasChangedSince(store, range(1, 3))).toBe(false)
    expect(await hasChangedSince(store, range(1, 4))).toBe(true)
    expect(await hasChangedSince(store, range(0, 1))).toBe(true)
    expect(await hasChangedSince(store, range(4, 4))).toBe(false)
  })

  it('assumes a change for a position beyond the head or past the scan limit', async () => {
    const store = await storeWith(['Unrelated', 'Unrelated', 'Unrelated', 'Unrelated'])
    expect(await hasChangedSince(store, { since: 9, until: 4, isRelevant: isBoardEvent })).toBe(true)
    const limited = { pageSize: 1, maxScan: 2 }
    expect(await hasChangedSince(store, { since: 0, until: 4, isRelevant: isBoardEvent }, limited)).toBe(true)
    expect(await hasChangedSince(store, { since: 0, until: 4, isRelevant: isBoardEvent })).toBe(false)
  })
})

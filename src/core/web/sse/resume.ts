import type { StoredEvent } from '../../eventsourcing/events.ts'
import type { EventStore } from '../../eventsourcing/store/event-store.ts'

export type ResumePoint =
  | { readonly ok: true; readonly since: number | null }
  | { readonly ok: false; readonly error: string }

const POSITION = /^\d{1,15}$/

/**
 * Where a feed resumes: `Last-Event-ID` (what the browser sends on reconnect) wins over
 * `?since=` (the position the page was rendered at); neither means the client has no view yet.
 */
export function readResumePoint(req: Request, url: URL): ResumePoint {
  const header = req.headers.get('last-event-id')
  const query = url.searchParams.get('since')
  const [raw, source] = header !== null && header !== '' ? [header, 'Last-Event-ID'] : [query, 'since']
  if (raw === null || raw === '') return { ok: true, since: null }
  if (!POSITION.test(raw.trim())) {
    return {
      ok: false,
      error: `Cannot resume feed: ${source} "${raw.slice(0, 40)}" is not a position (a whole number ≥ 0)`,
    }
  }
  return { ok: true, since: Number(raw.trim()) }
}

export interface ChangedSinceOptions {
  /** Events read per page. @default 1000 */
  pageSize?: number
  /** Events scanned before giving up and assuming the view changed (a fat morph is always safe). @default 10000 */
  maxScan?: number
}

/** True when an event in (since, until] is relevant to the view, i.e. the client's copy is stale. */
export async function hasChangedSince(
  store: EventStore,
  range: { readonly since: number; readonly until: number; readonly isRelevant: (event: StoredEvent) => boolean },
  options: ChangedSinceOptions = {},
): Promise<boolean> {
  const { pageSize = 1_000, maxScan = 10_000 } = options
  const { since, until, isRelevant } = range
  if (since > until) return true // a position we never issued: the client saw another history
  let after = since
  let scanned = 0
  while (after < until) {
    if (scanned >= maxScan) return true
    const page = await store.readAll({ after, limit: pageSize })
    for (const event of page) {
      if (event.position > until) return false
      if (isRelevant(event)) return true
    }
    if (page.length < pageSize) return false
    scanned += page.length
    after = page.at(-1)?.position ?? until
  }
  return false
}

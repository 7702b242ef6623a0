import type { StoredEvent } from '../../core/eventsourcing/events.ts'
import { defineProjection } from '../../core/eventsourcing/projections.ts'
import { QUERY_EVENT_TYPES, QUERY_STREAM_TYPE, type QueryEvent, type QueryStatus } from './domain.ts'

/** Queries remembered per visitor, newest first. */
export const HISTORY_PER_OWNER = 20
/** Visitors remembered; the one whose last query is oldest goes first. */
export const MAX_OWNERS = 2_000

export interface QueryEntry {
  readonly id: string
  readonly owner: string
  readonly sql: string
  readonly status: QueryStatus
  readonly requestedAt: string
  readonly rows?: number
  readonly truncated?: boolean
  readonly durationMs?: number
  readonly message?: string
}

/** Per-visitor query history, and which visitor each remembered query belongs to. */
export interface QueryHistory {
  readonly byOwner: Map<string, QueryEntry[]>
  readonly byId: Map<string, QueryEntry>
}

const queryTypes: ReadonlySet<string> = new Set(QUERY_EVENT_TYPES)

export function isQueryEvent(event: StoredEvent): event is StoredEvent & QueryEvent {
  return event.stream.type === QUERY_STREAM_TYPE && queryTypes.has(event.type)
}

function finished(entry: QueryEntry, event: QueryEvent): QueryEntry {
  switch (event.type) {
    case 'QueryRequested':
      return entry
    case 'QueryCompleted':
      return { ...entry, status: 'completed', ...event.data }
    case 'QueryFailed':
      return { ...entry, status: 'failed', message: event.data.message }
    case 'QueryCancelled':
      return { ...entry, status: 'cancelled' }
    default: {
      const unknown: never = event
      return unknown
    }
  }
}

function remember(state: QueryHistory, entry: QueryEntry): void {
  const list = [entry, ...(state.byOwner.get(entry.owner) ?? [])]
  for (const dropped of list.splice(HISTORY_PER_OWNER)) state.byId.delete(dropped.id)
  // Re-insert the owner so Map order runs from the least to the most recently active visitor.
  state.byOwner.delete(entry.owner)
  state.byOwner.set(entry.owner, list)
  state.byId.set(entry.id, entry)
  if (state.byOwner.size > MAX_OWNERS) {
    const [oldest, entries] = state.byOwner.entries().next().value as [string, QueryEntry[]]
    state.byOwner.delete(oldest)
    for (const old of entries) state.byId.delete(old.id)
  }
}

/** Updated in place, like the todo lists: copying per event would cost O(visitors). */
export function applyQueryEvent(state: QueryHistory, event: StoredEvent): QueryHistory {
  if (!isQueryEvent(event)) return state
  if (event.type === 'QueryRequested') {
    const { queryId, owner, sql, at } = event.data
    remember(state, { id: queryId, owner, sql, status: 'running', requestedAt: at })
    return state
  }
  const entry = state.byId.get(event.stream.id)
  if (!entry) return state
  const updated = finished(entry, event)
  state.byId.set(entry.id, updated)
  const list = state.byOwner.get(entry.owner)
  const index = list?.findIndex((item) => item.id === entry.id) ?? -1
  if (list && index >= 0) list[index] = updated
  return state
}

export const queryHistoryProjection = defineProjection<QueryHistory>({
  name: 'analytics-query-history',
  events: QUERY_EVENT_TYPES,
  streamType: QUERY_STREAM_TYPE,
  initial: () => ({ byOwner: new Map(), byId: new Map() }),
  apply: applyQueryEvent,
})

export function historyOf(state: QueryHistory, owner: string): readonly QueryEntry[] {
  return state.byOwner.get(owner) ?? []
}

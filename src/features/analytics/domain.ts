import { z } from 'zod'
import { RuleViolation } from '../../core/errors.ts'
import type { Decider } from '../../core/eventsourcing/decider.ts'

/**
 * One query a visitor runs on the explore page, as an aggregate on `query-session/<queryId>`.
 * It runs in the background; the runner reports the outcome as a command. Whichever of
 * complete, fail and cancel arrives first wins; the later ones change nothing, because a
 * cancel racing a finishing query is normal, not an error.
 */
export const QUERY_STREAM_TYPE = 'query-session'
export const queryStream = (queryId: string) => ({ type: QUERY_STREAM_TYPE, id: queryId }) as const

export const MAX_SQL_LENGTH = 20_000
export const MAX_MESSAGE_LENGTH = 500

export const runQueryInput = z.object({
  sql: z
    .string()
    .trim()
    .min(1, 'Write a query first')
    .max(MAX_SQL_LENGTH, `Keep the query to ${MAX_SQL_LENGTH} characters or fewer`),
})

export type QueryCommand =
  | {
      readonly type: 'RequestQuery'
      readonly queryId: string
      readonly owner: string
      readonly sql: string
      readonly at: string
    }
  | {
      readonly type: 'CompleteQuery'
      readonly rows: number
      readonly truncated: boolean
      readonly durationMs: number
      readonly at: string
    }
  | { readonly type: 'FailQuery'; readonly message: string; readonly at: string }
  | { readonly type: 'CancelQuery'; readonly at: string }

export type QueryEvent =
  | {
      readonly type: 'QueryRequested'
      readonly data: { readonly queryId: string; readonly owner: string; readonly sql: string; readonly at: string }
    }
  | {
      readonly type: 'QueryCompleted'
      readonly data: {
        readonly rows: number
        readonly truncated: boolean
        readonly durationMs: number
        readonly at: string
      }
    }
  | { readonly type: 'QueryFailed'; readonly data: { readonly message: string; readonly at: string } }
  | { readonly type: 'QueryCancelled'; readonly data: { readonly at: string } }

export const QUERY_EVENT_TYPES = [
  'QueryRequested',
  'QueryCompleted',
  'QueryFailed',
  'QueryCancelled',
] as const satisfies readonly QueryEvent['type'][]

export type QueryStatus = 'none' | 'running' | 'completed' | 'failed' | 'cancelled'

export interface QuerySession {
  readonly status: QueryStatus
}

export const queryDecider: Decider<QuerySession, QueryCommand, QueryEvent> = {
  initialState: () => ({ status: 'none' }),
  decide(state, command) {
    switch (command.type) {
      case 'RequestQuery':
        if (state.status !== 'none')
          throw new RuleViolation('Cannot run query: this query id was used already', 'query-exists')
        return {
          type: 'QueryRequested',
          data: { queryId: command.queryId, owner: command.owner, sql: command.sql, at: command.at },
        }
      case 'CompleteQuery':
        if (state.status !== 'running') return []
        return {
          type: 'QueryCompleted',
          data: { rows: command.rows, truncated: command.truncated, durationMs: command.durationMs, at: command.at },
        }
      case 'FailQuery':
        if (state.status !== 'running') return []
        return { type: 'QueryFailed', data: { message: command.message.slice(0, MAX_MESSAGE_LENGTH), at: command.at } }
      case 'CancelQuery':
        if (state.status === 'none') throw new RuleViolation('Cannot cancel query: there is no such query', 'no-query')
        if (state.status !== 'running') return []
        return { type: 'QueryCancelled', data: { at: command.at } }
      default: {
        const unknown: never = command
        throw new Error(`Unknown command ${JSON.stringify(unknown)}`)
      }
    }
  },
  evolve(_state, event) {
    switch (event.type) {
      case 'QueryRequested':
        return { status: 'running' }
      case 'QueryCompleted':
        return { status: 'completed' }
      case 'QueryFailed':
        return { status: 'failed' }
      case 'QueryCancelled':
        return { status: 'cancelled' }
      default: {
        const unknown: never = event
        return unknown
      }
    }
  },
}

import type { TurnBudget } from '../../../turn-budget.ts'
import type { Middleware } from '../compose.ts'

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * A command (any write to a page route) waits for its turn of the event loop before any of its
 * work, so a burst of commands is run turn by turn and the pages, probes and feeds that arrive
 * meanwhile are answered between turns; too many waiting is a 503 with Retry-After.
 */
export function commandTurns(turns: TurnBudget): Middleware {
  return async function awaitTurn(ex, next) {
    if (ex.match?.route.kind === 'page' && !READS.has(ex.req.method)) await turns.admit()
    return next(ex)
  }
}

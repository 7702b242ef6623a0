import type { Logger } from '../../../ops/log.ts'
import type { TurnBudget } from '../../../turn-budget.ts'
import type { Middleware } from '../compose.ts'
import { runsCommand } from '../exchange.ts'

/** Shedding is logged at most once in this long, with the count of refusals since the last line. */
const LOG_WINDOW_MS = 60_000

/**
 * A command waits for its turn of the event loop before any of its work, so a burst of commands
 * is run turn by turn and the pages, probes and feeds that arrive meanwhile are answered between
 * turns; too many waiting is a 503 with Retry-After, logged as one counted line a minute.
 */
export function commandTurns(turns: TurnBudget, log: Logger): Middleware {
  let loggedAt = Number.NEGATIVE_INFINITY
  let refusedBefore = 0
  return async function awaitTurn(ex, next) {
    if (!runsCommand(ex)) return next(ex)
    try {
      await turns.admit()
    } catch (refusal) {
      const now = performance.now()
      if (now - loggedAt >= LOG_WINDOW_MS) {
        log.warn('Shedding commands: too many wait for their turn', {
          refused: turns.refused - refusedBefore,
          waiting: turns.waiting,
        })
        loggedAt = now
        refusedBefore = turns.refused
      }
      throw refusal
    }
    return next(ex)
  }
}

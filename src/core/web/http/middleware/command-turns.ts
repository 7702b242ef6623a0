import type { Logger } from '../../../ops/log.ts'
import { SheddingLog } from '../../../ops/shedding-log.ts'
import type { TurnBudget } from '../../../turn-budget.ts'
import type { Middleware } from '../compose.ts'
import { runsCommand } from '../exchange.ts'

/**
 * A command waits for its turn of the event loop before any of its work, so a burst of commands
 * is run turn by turn and the pages, probes and feeds that arrive meanwhile are answered between
 * turns; too many waiting is a 503 with Retry-After, logged as one counted line a minute.
 */
export function commandTurns(turns: TurnBudget, log: Logger): Middleware {
  const shedding = new SheddingLog(log, 'Shedding commands: too many wait for their turn')
  return async function awaitTurn(ex, next) {
    if (!runsCommand(ex)) return next(ex)
    try {
      await turns.admit()
    } catch (refusal) {
      shedding.refused({ waiting: turns.waiting })
      throw refusal
    }
    return next(ex)
  }
}

import { NotReadyError } from '../../../errors.ts'
import type { Middleware } from '../compose.ts'

/** What a route's owner (a slice) waits for at start-up: null once its projections and resources run. */
export type Readiness = (owner: string) => Promise<void> | null

export interface StartupGateOptions {
  /** How long a request waits for its slice before a 503. @default 2000 */
  readonly maxWaitMs?: number
  /** Requests waiting at once, at most; the next gets a 503 at once. @default 1000 */
  readonly maxWaiting?: number
}

const NOT_READY = 'The server is starting: try again in a moment'

/**
 * While the server starts, a slice's pages, feeds and commands wait for that slice's projections
 * and resources (a restart from snapshots takes well under a second, so a visitor sees a slower
 * page, not an error), for a bounded time and number; past either, a 503 with `Retry-After`.
 * Other slices, the shell's own routes and the operational ones (`/healthz`, assets) never wait.
 */
export function startupGate(readiness: Readiness, options: StartupGateOptions = {}): Middleware {
  const { maxWaitMs = 2_000, maxWaiting = 1_000 } = options
  let waiting = 0
  return async function awaitStartup(ex, next) {
    const starting = ex.match ? readiness(ex.match.route.owner) : null
    if (!starting) return next(ex)
    if (waiting >= maxWaiting) throw new NotReadyError(NOT_READY)
    waiting++
    let timer: ReturnType<typeof setTimeout> | undefined
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NotReadyError(NOT_READY)), maxWaitMs)
    })
    try {
      await Promise.race([starting, gaveUp])
    } finally {
      clearTimeout(timer)
      waiting--
    }
    return next(ex)
  }
}

import type { Logger } from '../../ops/log.ts'

/** One structured line per request. */
export interface RequestLogLine {
  readonly time: string
  readonly requestId: string
  readonly method: string
  readonly path: string
  /** The matched route pattern (`/todos/:id`), or `unmatched`: a bounded label for metrics, unlike `path`. */
  readonly route?: string
  readonly status: number
  readonly durationMs: number
  /** Present when the request failed unexpectedly; the same id is shown to the user. */
  readonly errorId?: string
}

export type RequestLogger = (line: RequestLogLine) => void

/** Logs an unexpected error with its stack under the id the user sees; never sent to the client. */
export function logUnexpectedError(log: Logger, errorId: string, requestId: string, error: unknown): void {
  log.error('unexpected error', { errorId, requestId, error })
}

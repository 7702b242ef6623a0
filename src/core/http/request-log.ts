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

/** Writes each line as JSON to stdout: greppable by humans, parseable by log shippers. */
export const jsonLineLogger: RequestLogger = function logRequest(line) {
  process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'request', ...line })}\n`)
}

/** Logs an unexpected error with its stack under the id the user sees; never sent to the client. */
export function logUnexpectedError(errorId: string, requestId: string, error: unknown): void {
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error)
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.stack : undefined
  process.stderr.write(
    `${JSON.stringify({ level: 'error', msg: 'unexpected error', errorId, requestId, stack, cause })}\n`,
  )
}

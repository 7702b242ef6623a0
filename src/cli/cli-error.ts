/** A failure the CLI reports as one line and an exit code, without a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError'
  readonly exitCode: number

  constructor(message: string, exitCode = 1, options?: ErrorOptions) {
    super(message, options)
    this.exitCode = exitCode
  }
}

/** Exit codes: documented in `--help`. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const

/**
 * An error that already knows its HTTP status. Its message is written for the person who
 * sent the request (never internal detail), so it may be shown as is.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError'
  readonly headers: Readonly<Record<string, string>>
  constructor(
    readonly status: number,
    message: string,
    options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause })
    this.headers = options.headers ?? {}
  }
}

export const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  403: 'Forbidden',
  404: 'Page not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Request too large',
  415: 'Unsupported content type',
  421: 'Wrong address',
  422: 'Check your input',
  429: 'Too many requests',
  500: 'Something went wrong',
  503: 'Busy right now',
}

/**
 * The closed error taxonomy. The HTTP layer maps these to statuses in one place;
 * anything else is unexpected: logged with an id and answered with a generic 500.
 */

/** Input failed validation at a boundary (400, or 422 for a form). */
export class ValidationError extends Error {
  override readonly name = 'ValidationError'
  constructor(
    message: string,
    readonly issues: Readonly<Record<string, string>> = {},
  ) {
    super(message)
  }
}

/** A payload exceeds its configured size limit (413). */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError'
  constructor(
    message: string,
    readonly limitBytes: number,
  ) {
    super(message)
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError'
}

/** A decider refused a command: a domain outcome, not a failure of the system (409 or 422). */
export class RuleViolation extends Error {
  override readonly name = 'RuleViolation'
  constructor(
    message: string,
    readonly code = 'rule-violation',
    readonly field?: string,
  ) {
    super(message)
  }
}

export interface StreamRef {
  readonly type: string
  readonly id: string
}

/** The stream was not at the version the writer expected (409). */
export class VersionConflict extends Error {
  override readonly name = 'VersionConflict'
  constructor(
    readonly stream: StreamRef,
    readonly expected: number | 'any',
    readonly actual: number,
  ) {
    super(`Cannot append to stream "${stream.type}/${stream.id}": expected version ${expected}, current ${actual}`)
  }
}

/** A stored event has a type no slice registered: the log and the code disagree. */
export class UnknownEventTypeError extends Error {
  override readonly name = 'UnknownEventTypeError'
  constructor(readonly eventType: string) {
    super(`Cannot read event of unknown type "${eventType}": register it with its schema`)
  }
}

/** Anything unexpected, tagged with an id that is logged with the stack and shown to the user. */
export class UnexpectedError extends Error {
  override readonly name = 'UnexpectedError'
  readonly errorId: string = crypto.randomUUID()
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options)
  }
}

/** A bounded queue is full, or the server is shutting down: the caller should retry later (503). */
export class OverloadedError extends Error {
  override readonly name = 'OverloadedError'
}

/**
 * The storage cannot make writes durable (503, reads keep working): for now (a full or read-only
 * disk, an I/O error, a database server going away; the next write that fits succeeds), or until
 * the server restarts (its database or WAL file was removed or replaced under it). The message
 * says which, in words a user can read.
 */
export class StorageFaultError extends Error {
  override readonly name = 'StorageFaultError'
}

/**
 * The server is starting and what the request needs is not there yet (its slice's projections are
 * still catching up), or it is shutting down before they were (503 with `Retry-After`).
 */
export class NotReadyError extends Error {
  override readonly name = 'NotReadyError'
}

type ErrorClass = abstract new (...args: never[]) => Error

/**
 * The expected errors and the HTTP status each is answered with (a form's refusal becomes a
 * 422 in the command route). The one table: what the command pipeline lets through unwrapped
 * is what the HTTP layer answers without an error id.
 */
const EXPECTED_STATUSES: ReadonlyArray<readonly [ErrorClass, number]> = [
  [ValidationError, 400],
  [PayloadTooLargeError, 413],
  [NotFoundError, 404],
  [RuleViolation, 409],
  [VersionConflict, 409],
  [OverloadedError, 503],
  [StorageFaultError, 503],
  [NotReadyError, 503],
]

/** The status for an expected error; undefined for anything else (log it, answer 500). */
export function expectedStatus(error: unknown): number | undefined {
  return EXPECTED_STATUSES.find(([type]) => error instanceof type)?.[1]
}

/** True for the errors a caller is expected to handle; false means "log it, answer 500". */
export function isExpectedError(error: unknown): boolean {
  return expectedStatus(error) !== undefined
}

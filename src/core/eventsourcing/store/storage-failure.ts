import { StorageFaultError } from '../../errors.ts'

const NOTHING_WRITTEN = 'nothing was written, retry later'

/**
 * SQLite's primary result codes that mean the disk, not the data, refused the write; an extended
 * code starts with its primary one (SQLITE_IOERR_FSYNC, SQLITE_READONLY_DIRECTORY, …).
 */
const SQLITE_FAILURES: ReadonlyArray<readonly [string, string]> = [
  ['SQLITE_FULL', `The disk is full: ${NOTHING_WRITTEN}`],
  ['SQLITE_READONLY', `The database is read-only: ${NOTHING_WRITTEN}`],
  ['SQLITE_BUSY', `The database is locked by another process: ${NOTHING_WRITTEN}`],
  // An I/O error at COMMIT (a failed fsync) may leave the write in doubt: no promise either way.
  ['SQLITE_IOERR', 'The disk reported an I/O error: retry later'],
]

/** PostgreSQL's SQLSTATEs (Bun's `errno`) for a server that cannot write now. */
const POSTGRES_FAILURES: Readonly<Record<string, string>> = {
  '53100': `The database server's disk is full: ${NOTHING_WRITTEN}`,
  '25006': `The database is read-only: ${NOTHING_WRITTEN}`,
  '57P01': 'The database server is shutting down: retry later',
  '57P02': 'The database server is restarting: retry later',
  '57P03': 'The database server is not accepting connections yet: retry later',
  '58030': 'The database server reported an I/O error: retry later',
}

/** A lost connection may have taken a COMMIT with it: in doubt, like a request whose socket died. */
const LOST_CONNECTION = 'The connection to the database was lost: retry later'
const CONNECTION_FAILURE =
  /^(ERR_POSTGRES_(CONNECTION_(CLOSED|FAILED|REFUSED|TIMEOUT)|IDLE_TIMEOUT|LIFETIME_TIMEOUT)|08\d{3})$/

function messageFor(code: string, errno: string): string | undefined {
  const sqlite = SQLITE_FAILURES.find(([primary]) => code.startsWith(primary))
  if (sqlite) return sqlite[1]
  if (POSTGRES_FAILURES[errno]) return POSTGRES_FAILURES[errno]
  if (CONNECTION_FAILURE.test(code) || CONNECTION_FAILURE.test(errno)) return LOST_CONNECTION
  return undefined
}

/**
 * The StorageFaultError for an engine error that says the storage cannot take writes for now (a
 * full or read-only disk, an I/O error, a database server going away), or null for any other
 * error. Such a fault passes: the next write may succeed once space or the server is back.
 */
export function storageFailure(error: unknown): StorageFaultError | null {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown }
  const message = messageFor(typeof code === 'string' ? code : '', typeof errno === 'string' ? errno : '')
  return message ? new StorageFaultError(message, { cause: error }) : null
}

/**
 * A passing storage failure as readiness reports it: the last one a write met, until a write
 * succeeds or none has failed for `reportForMs` (without an end, a node taken out of rotation for
 * it would get no write to prove it recovered).
 */
export class RecentFailure {
  readonly #reportForMs: number
  #failure: StorageFaultError | null = null
  #lastAt = 0

  constructor(reportForMs = 10_000) {
    this.#reportForMs = reportForMs
  }

  /** Whether a failure is remembered (however long ago): the fault period has not ended. */
  get isOpen(): boolean {
    return this.#failure !== null
  }

  failed(failure: StorageFaultError): void {
    this.#failure = failure
    this.#lastAt = performance.now()
  }

  succeeded(): void {
    this.#failure = null
  }

  current(): StorageFaultError | null {
    return this.#failure && performance.now() - this.#lastAt < this.#reportForMs ? this.#failure : null
  }
}

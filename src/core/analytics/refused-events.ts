import type { StoredEvent } from '../eventsourcing/events.ts'
import type { Logger } from '../ops/log.ts'
import type { Counter, MetricsRegistry } from '../ops/metrics.ts'

/** Events analytics skipped because DuckDB refused them; on /metrics from the start (0). */
export const SKIPPED_METRIC = 'ironstar_analytics_events_skipped_total'

// DuckDB's words for "this value cannot be taken" (bad JSON, a failed cast), as opposed to the
// database itself failing; RangeError is the appender's own (a timestamp that is not a date).
const REFUSED_DATA = /^(Invalid Input|Conversion|Out of Range) Error:/

/** True when a write failed on the data it was given, so the same write will fail every time. */
export function isRefusedData(error: unknown): boolean {
  return error instanceof RangeError || (error instanceof Error && REFUSED_DATA.test(error.message))
}

/**
 * Writes `events`, halving them on a refusal until the event DuckDB refuses stands alone, and
 * hands that one to `skip`: one bad event costs about 2·log2(n) transactions and never stops
 * the rest. Any other failure (the database itself) is thrown for the caller to retry.
 */
export async function writeIsolating(
  events: readonly StoredEvent[],
  write: (events: readonly StoredEvent[]) => Promise<void>,
  skip: (event: StoredEvent, error: Error) => Promise<void>,
): Promise<void> {
  try {
    await write(events)
  } catch (error) {
    if (!isRefusedData(error)) throw error
    const [only] = events
    if (events.length === 1 && only) return skip(only, error as Error)
    const half = Math.ceil(events.length / 2)
    await writeIsolating(events.slice(0, half), write, skip)
    await writeIsolating(events.slice(half), write, skip)
  }
}

/** Counts each skipped event and reports it in one log line: position, type, stream and DuckDB's reason. */
export function skippedEventReporter(
  registry: MetricsRegistry,
  log: Logger,
): (event: StoredEvent, error: Error) => void {
  const skipped: Counter = registry.counter(SKIPPED_METRIC, undefined, {
    help: 'Events analytics could not ingest (DuckDB refused their data) and skipped',
  })
  return (event, error) => {
    skipped.inc()
    log.error('Cannot ingest event into analytics: skipped it', {
      position: event.position,
      type: event.type,
      stream: `${event.stream.type}/${event.stream.id}`,
      // DuckDB quotes the input after its reason: keep the payload (a visitor's text) out of the log.
      reason: (error.message.split('\n')[0] ?? '').replace(/\s+Input: .*$/, '').slice(0, 200),
    })
  }
}

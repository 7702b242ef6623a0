// What the fault harnesses check in the database after a fault: the file is sound, every
// acknowledged command is in the log, nothing is in it twice, every stream's versions run 1..n,
// and the server's counters equal a fresh fold of the log.
import { Database } from 'bun:sqlite'
import { slices } from '../../src/app.ts'
import { readAll } from '../../src/core/eventsourcing/store/read.ts'
import { EventRegistry } from '../../src/core/eventsourcing/upcast.ts'
import { sessionKey } from '../../src/core/web/session-key.ts'
import { globalCounterStream, sessionCounterStream } from '../../src/features/counter/domain.ts'
import { counterProjection } from '../../src/features/counter/projection.ts'
import type { LoadClient, SentCommand } from './_load.ts'

export interface LogAudit {
  readonly integrity: string
  readonly events: number
  /** Streams whose versions are not exactly 1..n. */
  readonly gappedStreams: number
  /** Acknowledged commands the log does not hold. */
  readonly lost: number
  /** Counter events beyond the commands that were acknowledged (only meaningful once none is in doubt). */
  readonly extra: number
}

/**
 * Opens the database (the server must be stopped or killed: opening it recovers the WAL, as a
 * restart would) and checks it against the acknowledged commands.
 */
export function auditLog(path: string, clients: readonly LoadClient[]): LogAudit {
  const db = new Database(path)
  try {
    const integrity = db.query<{ integrity_check: string }, []>('PRAGMA integrity_check').get()?.integrity_check ?? ''
    const events = db.query<{ n: number }, []>('SELECT count(*) AS n FROM events').get()?.n ?? 0
    const gappedStreams =
      db
        .query<{ n: number }, []>(
          `SELECT count(*) AS n FROM (SELECT 1 FROM events GROUP BY stream_type, stream_id
             HAVING count(*) != max(stream_version) OR min(stream_version) != 1)`,
        )
        .get()?.n ?? 0
    const logged = db.query<{ found: number }, [string]>('SELECT 1 AS found FROM command_log WHERE command_id = ?')
    const acknowledged = clients.flatMap((client) => client.acknowledged)
    const lost = acknowledged.filter((command) => logged.get(command.commandId) === null).length
    const counterEvents =
      db.query<{ n: number }, []>("SELECT count(*) AS n FROM events WHERE stream_type = 'counter'").get()?.n ?? 0
    // Each client's first command (the one that got it its session) has no key: counted apart.
    const extra = counterEvents - acknowledged.length - clients.length
    return { integrity, events, gappedStreams, lost, extra }
  } finally {
    db.close()
  }
}

/** Which of these in-doubt commands the log holds: they committed before the connection died. */
export function committedAmong(path: string, commands: readonly SentCommand[]): number {
  const db = new Database(path)
  try {
    const logged = db.query<{ found: number }, [string]>('SELECT 1 AS found FROM command_log WHERE command_id = ?')
    return commands.filter((command) => logged.get(command.commandId) !== null).length
  } finally {
    db.close()
  }
}

/** Every counter's value folded afresh from the log, as the projection's `apply` folds it. */
export function foldCounters(path: string): Map<string, number> {
  const registry = new EventRegistry()
  for (const slice of slices) for (const [type, schema] of Object.entries(slice.events)) registry.register(type, schema)
  const db = new Database(path, { readonly: true })
  try {
    let state = counterProjection.initial()
    for (let after = 0; ; ) {
      const page = readAll(db, registry, after, 10_000)
      if (page.length === 0) return state
      for (const event of page)
        if (counterProjection.events?.includes(event.type)) state = counterProjection.apply(state, event)
      after = page.at(-1)?.position ?? after
    }
  } finally {
    db.close()
  }
}

const OUTPUT = /id="counter-(global|session)"[\s\S]*?<output>([\d,]+)<\/output>/g

/** The counters a client's `/counter` page shows: what the running server's projection holds. */
export async function servedCounters(origin: string, client: LoadClient): Promise<{ global: number; session: number }> {
  const page = await (await fetch(`${origin}/counter`, { headers: { Cookie: client.cookie } })).text()
  const values = Object.fromEntries(
    [...page.matchAll(OUTPUT)].map(([, which, value]) => [which, Number(value?.replaceAll(',', ''))]),
  )
  return { global: values.global ?? Number.NaN, session: values.session ?? Number.NaN }
}

/** Clients whose page disagrees with the fresh fold (their own counter or the shared one). */
export async function projectionMismatches(
  origin: string,
  path: string,
  clients: readonly LoadClient[],
): Promise<number> {
  const folded = foldCounters(path)
  let mismatches = 0
  for (const client of clients) {
    const served = await servedCounters(origin, client)
    const expected = {
      global: folded.get(globalCounterStream.id) ?? 0,
      session: folded.get(sessionCounterStream(sessionKey({ id: client.sessionId })).id) ?? 0,
    }
    if (served.global !== expected.global || served.session !== expected.session) mismatches++
  }
  return mismatches
}

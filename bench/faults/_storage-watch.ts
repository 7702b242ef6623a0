// What a running server says about its storage: /readyz polled through a fault, and the failure
// counters of /metrics (plus whether DuckDB has ingested up to the log's head).

/** The series of /metrics that say a writer failed; a name without labels sums its series. */
export const WATCHED = {
  'event store write failures': 'ironstar_event_store_write_failures_total',
  'session write failures': 'ironstar_session_write_failures_total',
  'sessions dropped': 'ironstar_sessions_dropped_total',
  'DuckDB ingestion failures': 'ironstar_reader_failures_total{reader="analytics-duckdb"}',
  'latency samples dropped': 'ironstar_analytics_command_samples_dropped_total',
  'snapshot failures': 'ironstar_projection_snapshot_failures_total',
  'log head': 'ironstar_global_position',
  'DuckDB position': 'ironstar_analytics_position',
} as const
export type Watched = Record<keyof typeof WATCHED, number>

export async function readMetrics(origin: string): Promise<Watched> {
  const text = await (await fetch(`${origin}/metrics`)).text()
  const values = text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))] as const)
  const read = (series: string) =>
    values
      .filter(([name]) => name === series || (!series.includes('{') && name.startsWith(`${series}{`)))
      .reduce((sum, [, value]) => sum + value, 0)
  return Object.fromEntries(Object.entries(WATCHED).map(([label, series]) => [label, read(series)])) as Watched
}

/** `ready`, or `storage-failing: <its message>`, or `error` when /readyz did not answer JSON. */
export async function readyStatus(origin: string): Promise<string> {
  const res = await fetch(`${origin}/readyz`).catch(() => null)
  const body = (await res?.json().catch(() => null)) as { status?: string; storage?: string } | null
  return body?.storage ? `${body.status}: ${body.storage}` : (body?.status ?? 'error')
}

/** Polls /readyz every 100 ms and counts what it said. */
export class ReadyzWatch {
  readonly #seen = new Map<string, number>()
  #running = true
  readonly #loop: Promise<void>

  constructor(origin: string) {
    this.#loop = (async () => {
      while (this.#running) {
        const status = await readyStatus(origin)
        this.#seen.set(status, (this.#seen.get(status) ?? 0) + 1)
        await Bun.sleep(100)
      }
    })()
  }

  async stop(): Promise<Record<string, number>> {
    this.#running = false
    await this.#loop
    return Object.fromEntries(this.#seen)
  }
}

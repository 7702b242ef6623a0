import type { StorageFaultError } from '../errors.ts'
import type { BroadcastRing } from '../eventsourcing/bus.ts'
import type { CommandOutcome } from '../eventsourcing/commands.ts'
import type { SnapshotCounters } from '../eventsourcing/snapshots/snapshot-keeper.ts'
import type { EventStore } from '../eventsourcing/store/event-store.ts'
import type { ObservedReader } from '../runtime.ts'
import type { TurnBudget } from '../turn-budget.ts'
import type { RouteTable } from '../web/http/context.ts'
import type { SessionStoreCounters } from '../web/session.ts'
import type { FeedRegistry } from '../web/sse/feed-registry.ts'
import { type MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from './metrics.ts'

export interface OpsOptions {
  /** Unexpired sessions, counted by whichever engine keeps them. */
  readonly sessionCount: () => number
  readonly store: EventStore
  readonly bus: BroadcastRing
  readonly feeds: FeedRegistry
  /** The turns of the event loop commands wait for. */
  readonly turns: TurnBudget
  /** Every reader of the log `/readyz` waits for (projections, analytics ingestion). */
  readonly readers: () => readonly ObservedReader[]
  readonly registry: MetricsRegistry
  /** Events a reader may trail the log by while `/readyz` still answers 200. @default 0 */
  readonly readyMaxLag?: number
  /** The session store's background write failures, so a full disk shows on a dashboard, and its storage fault. */
  readonly sessions?: { counters(): SessionStoreCounters; storageFault(): StorageFaultError | null }
  /** True while the server is still starting its projections and resources (`/readyz` is 503). */
  readonly isStarting?: () => boolean
}

export interface Ops {
  /** `/healthz` (liveness + position), `/readyz` (storage writable, projections caught up) and `/metrics`, for the shell's route table. */
  readonly routes: RouteTable
  close(): void
}

/** Open feed connections, collected from the feed registry at scrape time. */
export const SSE_CONNECTIONS = 'ironstar_sse_connections'

const NO_STORE = { 'Cache-Control': 'no-store' }
const PROCESS_START_SECONDS = Math.round(Date.now() / 1000 - process.uptime())

/** One sample per projection (resources keep no snapshots). */
function snapshotsOf(readers: readonly ObservedReader[], value: (snapshots: SnapshotCounters) => number) {
  return readers.flatMap((r) => (r.snapshots ? [{ labels: { projection: r.name }, value: value(r.snapshots) }] : []))
}

/** Wires operational endpoints and scrape-time metrics for one running server; `close()` unregisters them. */
export function createOps(options: OpsOptions): Ops {
  const { sessionCount, store, bus, feeds, turns, readers, registry, sessions, readyMaxLag = 0 } = options
  const { isStarting = () => false } = options
  const unregister: Array<() => void> = []
  const appended = registry.counter('ironstar_events_appended_total', undefined, {
    help: 'Events committed to the event store by this process',
  })
  const removeListener = store.onCommit((events) => appended.inc(events.length))
  // The bus knows only what was published since the start: until the first commit, the log's head.
  let headAtStart = 0
  store.headPosition().then(
    (head) => {
      headAtStart = head
    },
    () => undefined, // a storage fault shows in /readyz; the gauge then follows the bus alone
  )
  const globalPosition = () => Math.max(bus.position, headAtStart)
  unregister.push(
    // Read from this server's feeds at scrape time: no bookkeeping on the hot path.
    registry.collect(SSE_CONNECTIONS, 'gauge', () => [{ value: feeds.counters().connections }], {
      help: 'Open SSE feed connections',
    }),
    registry.collect('ironstar_sse_overflows_total', 'counter', () => [{ value: feeds.counters().overflows }], {
      help: 'Feed clients cut off because they stopped reading (they reconnect and resync)',
    }),
    registry.collect('ironstar_sse_held_sockets', 'gauge', () => [{ value: feeds.counters().held }], {
      help: 'Sockets of cut-off feeds the server still holds until they close (counted in the connection limits)',
    }),
    registry.collect('ironstar_sse_renders_total', 'counter', () => [{ value: feeds.counters().renders }], {
      help: 'Feed views rendered (once per change and view, whatever the number of clients)',
    }),
    registry.collect('ironstar_ring_lagged_total', 'counter', () => [{ value: bus.counters().lagged }], {
      help: 'Times a subscriber fell behind the broadcast ring and had to catch up from the store',
    }),
    registry.collect('ironstar_ring_subscribers', 'gauge', () => [{ value: bus.counters().subscribers }], {
      help: 'Current broadcast ring subscribers',
    }),
    registry.collect('ironstar_command_turn_waiting', 'gauge', () => [{ value: turns.waiting }], {
      help: 'Commands waiting for their turn of the event loop (pages and feeds are answered first)',
    }),
    registry.collect('ironstar_command_turn_refused_total', 'counter', () => [{ value: turns.refused }], {
      help: 'Commands refused with 503 because too many were already waiting for their turn',
    }),
    registry.collect(
      'ironstar_event_store_queue_refused_total',
      'counter',
      () => [{ value: store.stats().queueRefused }],
      { help: 'Appends refused with 503 because APPEND_QUEUE_LIMIT appends already waited for a commit' },
    ),
    registry.collect('ironstar_global_position', 'gauge', () => [{ value: globalPosition() }], {
      help: 'Global position of the newest event in the log, as this process knows it',
    }),
    registry.collect(
      'ironstar_projection_lag_events',
      'gauge',
      () =>
        readers().map((p) => ({ labels: { projection: p.name }, value: Math.max(0, globalPosition() - p.position) })),
      { help: 'Events a projection trails the bus head by' },
    ),
    registry.collect(
      'ironstar_reader_failures_total',
      'counter',
      () => [
        ...readers().map((r) => ({ labels: { reader: r.name }, value: r.failures })),
        { labels: { reader: 'feeds' }, value: feeds.counters().failures },
      ],
      { help: 'Events or batches a reader of the log failed to handle (an apply that threw, DuckDB on a full disk)' },
    ),
    registry.collect(
      'ironstar_event_store_write_failures_total',
      'counter',
      () => [{ value: store.stats().storageFailures }],
      { help: 'Event store commits the storage refused (full or read-only disk, I/O error): their commands got 503' },
    ),
    registry.collect(
      'ironstar_projection_snapshot_failures_total',
      'counter',
      () => snapshotsOf(readers(), (s) => s.failures),
      { help: 'Projection snapshots that could not be written (full disk, too large); start-up then folds more' },
    ),
    registry.collect(
      'ironstar_projection_restored_position',
      'gauge',
      () => snapshotsOf(readers(), (s) => s.restoredFrom ?? 0),
      { help: 'Position of the snapshot a projection started from (0: it folded the whole log)' },
    ),
    registry.collect('ironstar_sessions', 'gauge', () => [{ value: sessionCount() }], {
      help: 'Unexpired sessions',
    }),
    registry.collect(
      'ironstar_session_write_failures_total',
      'counter',
      () => [{ value: sessions?.counters().writeFailures ?? 0 }],
      { help: 'Background session writes that failed (full or read-only disk); their rows were kept and retried' },
    ),
    registry.collect(
      'ironstar_sessions_dropped_total',
      'counter',
      () => [{ value: sessions?.counters().dropped ?? 0 }],
      { help: 'Queued session writes dropped because the queue stayed full while writes failed' },
    ),
    // The two standard process metrics dashboards expect: memory and restarts (a start time that moves).
    registry.collect('process_resident_memory_bytes', 'gauge', () => [{ value: process.memoryUsage.rss() }], {
      help: 'Resident memory of the process in bytes',
    }),
    registry.collect('process_start_time_seconds', 'gauge', () => [{ value: PROCESS_START_SECONDS }], {
      help: 'Start time of the process since the Unix epoch in seconds',
    }),
  )

  const routes: RouteTable = {
    '/healthz': {
      GET: async () => Response.json({ status: 'ok', position: await store.headPosition() }, { headers: NO_STORE }),
    },
    '/readyz': {
      GET: async () => {
        const fault = store.storageFault() ?? sessions?.storageFault() ?? null
        if (fault) {
          const body = { status: 'storage-failing', storage: fault.message }
          return Response.json(body, { status: 503, headers: { 'Retry-After': '30', ...NO_STORE } })
        }
        const head = await store.headPosition()
        const projections = readers()
        // Ready means serving current data, not being exactly at the head: under steady load a
        // reader is always a few events behind, and a load balancer must not pull a busy node.
        const behind = projections.filter((p) => !p.isRunning || head - p.position > readyMaxLag)
        const starting = isStarting()
        const ready = behind.length === 0 && !starting
        const body = {
          status: ready ? 'ready' : starting ? 'starting' : 'catching-up',
          position: head,
          projections: Object.fromEntries(projections.map((p) => [p.name, p.position])),
        }
        const headers = ready ? NO_STORE : { 'Retry-After': '1', ...NO_STORE }
        return Response.json(body, { status: ready ? 200 : 503, headers })
      },
    },
    '/metrics': {
      GET: () => new Response(registry.render(), { headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE, ...NO_STORE } }),
    },
  }

  return {
    routes,
    close() {
      removeListener?.()
      for (const remove of unregister) remove()
    },
  }
}

/** For `new CommandHandler(store, { observe: observeCommand })`: the command latency histogram. */
export function observeCommand(outcome: CommandOutcome, registry: MetricsRegistry): void {
  registry
    .histogram(
      'ironstar_command_duration_seconds',
      { stream_type: outcome.streamType, outcome: outcome.outcome },
      { help: 'Command latency from load to durable commit' },
    )
    .observe(outcome.durationMs / 1000)
}

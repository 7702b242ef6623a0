import type { Database } from 'bun:sqlite'
import type { Config } from '../config.ts'
import type { BroadcastRing } from './eventsourcing/bus.ts'
import type { CommandHandler } from './eventsourcing/commands.ts'
import type { Projection, ProjectionDefinition } from './eventsourcing/projections.ts'
import type { EventStore } from './eventsourcing/store/event-store.ts'
import type { EventRegistry } from './eventsourcing/upcast.ts'
import type { Logger } from './ops/log.ts'
import type { MetricsRegistry } from './ops/metrics.ts'
import type { ObservedReader, ResourceDefinition } from './runtime.ts'
import type { TurnBudget } from './turn-budget.ts'
import type { FeedRegistry } from './web/sse/feed-registry.ts'

/**
 * The one dependency object the core hands to every slice (no per-slice wiring). Everything
 * in it belongs to one running server: two servers in one process share nothing.
 */
export interface AppContext {
  readonly config: Config
  readonly db: Database
  readonly registry: EventRegistry
  readonly store: EventStore
  readonly bus: BroadcastRing
  readonly commands: CommandHandler
  /** Turns of the event loop that commands share, so pages and feeds are answered between them. */
  readonly turns: TurnBudget
  /** The server's logger: one JSON object per line in production. */
  readonly log: Logger
  /** What `/metrics` renders for this server. */
  readonly metrics: MetricsRegistry
  /** Every open feed of this server, with its limits from the config. */
  readonly feeds: FeedRegistry
  /** This server's running instance of a projection a slice lists. */
  projection<State>(definition: ProjectionDefinition<State>): Projection<State>
  /** This server's instance of a resource a slice lists. */
  resource<T>(definition: ResourceDefinition<T>): T
  /** Every reader of the log (projections, analytics ingestion) and how far it has caught up. */
  readers(): readonly ObservedReader[]
  /** The dev reload `<script>` for pages, from this server's asset server (empty outside development). */
  devReloadScript(): string
}

import type { Database } from 'bun:sqlite'
import type { Config } from '../config.ts'
import type { BroadcastRing } from './bus.ts'
import type { CommandHandler } from './commands.ts'
import type { EventStore } from './store/event-store.ts'
import type { EventRegistry } from './upcast.ts'

/** The one dependency object the core hands to every slice (no per-slice wiring). */
export interface AppContext {
  readonly config: Config
  readonly db: Database
  readonly registry: EventRegistry
  readonly store: EventStore
  readonly bus: BroadcastRing
  readonly commands: CommandHandler
}

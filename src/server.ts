import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from './config.ts'
import type { AppContext } from './core/app-context.ts'
import { createAssetServer } from './core/assets.ts'
import { BroadcastRing } from './core/bus.ts'
import { CommandHandler } from './core/commands.ts'
import { openDatabase } from './core/database.ts'
import { migrate } from './core/migrations.ts'
import { SqliteEventStore } from './core/store/sqlite-event-store.ts'
import { EventRegistry } from './core/upcast.ts'
import { migrations } from './migrations.ts'

export interface RunningServer {
  readonly url: URL
  readonly app: AppContext
  /** Stops accepting, ends feeds, lets in-flight commands finish, closes the database. */
  stop(): Promise<void>
}

/** The composition root: config → db → store → bus → routes → Bun.serve. */
export async function startServer(config: Config): Promise<RunningServer> {
  mkdirSync(config.dataDir, { recursive: true })
  const db = openDatabase(join(config.dataDir, 'ironstar.sqlite'))
  migrate(db, migrations)

  const registry = new EventRegistry()
  const store = new SqliteEventStore(db, registry, { maxPayloadBytes: config.payloadLimitBytes })
  const bus = new BroadcastRing(config.ringCapacity)
  store.onCommit((events) => bus.publish(events))
  const commands = new CommandHandler(store)
  const app: AppContext = { config, db, registry, store, bus, commands }
  const assets = createAssetServer({ env: config.env })

  const server = Bun.serve({
    port: config.port,
    hostname: config.host,
    routes: {
      ...assets.routes,
      '/healthz': {
        GET: async () => Response.json({ status: 'ok', position: await store.headPosition() }),
      },
    },
    fetch: () => new Response('Not found', { status: 404 }),
  })

  return {
    url: server.url,
    app,
    async stop() {
      assets.close()
      await server.stop()
      bus.close()
      await store.close()
      db.close()
    },
  }
}

import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { slices as appSlices } from './app.ts'
import { type Config, ConfigError } from './config.ts'
import { observeCommandSample } from './core/analytics/command-samples.ts'
import type { AppContext } from './core/app-context.ts'
import { type AssetRoute, createAssetServer } from './core/assets.ts'
import { BroadcastRing } from './core/bus.ts'
import { CommandHandler } from './core/commands.ts'
import { openDatabase } from './core/database.ts'
import type { RouteTable } from './core/http/context.ts'
import type { RequestLogger } from './core/http/request-log.ts'
import { createShell } from './core/http/router.ts'
import { migrate } from './core/migrations.ts'
import { createOps, logRequestLine, metricsRequestLogger, observeCommand } from './core/ops.ts'
import { startProjections } from './core/projections.ts'
import { SessionStore } from './core/session.ts'
import type { Slice } from './core/slice.ts'
import { closeFeeds } from './core/sse.ts'
import { SqliteEventStore } from './core/store/sqlite-event-store.ts'
import { EventRegistry } from './core/upcast.ts'
import { migrations } from './migrations.ts'

/** How long shutdown waits for in-flight requests before closing their connections. */
const SHUTDOWN_GRACE_MS = 10_000

export interface RunningServer {
  readonly url: URL
  readonly app: AppContext
  /** Stops accepting, ends feeds, lets in-flight commands finish, closes the database. */
  stop(): Promise<void>
}

export interface StartServerOptions {
  /** The app's slices. @default the list in src/app.ts (tests pass their own) */
  slices?: readonly Slice[]
  /** One line per request (always counted in /metrics first). @default the process log, none when env is test */
  log?: RequestLogger
}

/** Asset handlers serve GET (and HEAD through it); any other method gets the shell's 405. */
function assetRoutes(routes: Readonly<Record<string, AssetRoute>>): RouteTable {
  return Object.fromEntries(Object.entries(routes).map(([path, handle]) => [path, { GET: handle }]))
}

/** The composition root: config → db → store → bus → projections → routes → Bun.serve. */
export async function startServer(config: Config, options: StartServerOptions = {}): Promise<RunningServer> {
  const { slices = appSlices } = options
  if (config.env === 'production' && (config.publicOrigins ?? []).length === 0) {
    // Guessing the public address from requests is what CSRF and DNS rebinding exploit.
    throw new ConfigError(
      'Cannot serve in production without PUBLIC_ORIGIN: set it to the address visitors use, e.g. https://app.example.com',
    )
  }
  const log = metricsRequestLogger({ forward: options.log ?? (config.env === 'test' ? undefined : logRequestLine) })
  mkdirSync(config.dataDir, { recursive: true })
  const db = openDatabase(join(config.dataDir, 'ironstar.sqlite'))
  migrate(db, migrations)

  const registry = new EventRegistry()
  for (const slice of slices) {
    for (const [type, schema] of Object.entries(slice.events)) registry.register(type, schema)
  }
  const store = new SqliteEventStore(db, registry, { maxPayloadBytes: config.payloadLimitBytes })
  const bus = new BroadcastRing(config.ringCapacity)
  store.onCommit((events) => bus.publish(events))
  const commands = new CommandHandler(store, {
    observe: (outcome) => {
      observeCommand(outcome)
      observeCommandSample(outcome)
    },
  })
  const app: AppContext = { config, db, registry, store, bus, commands }
  const assets = createAssetServer({ env: config.env })
  const projections = slices.flatMap((slice) => slice.projections)
  await startProjections(projections, { store, bus })
  const sessions = new SessionStore(db, { maxAgeSeconds: config.sessionMaxAgeSeconds })
  const ops = createOps({ db, store, bus, projections })
  const platform = { ...assetRoutes(assets.routes), ...ops.routes }
  const shell = createShell({ app, slices, sessions, platform, log })

  const server = Bun.serve({
    port: config.port,
    hostname: config.host,
    // Every route goes through the shell, so every response gets its checks, headers and log line.
    routes: { ...shell.routes, ...assets.upgradeRoutes },
    websocket: assets.websocket, // the dev reload channel, in development only
    fetch: shell.fetch,
    error: shell.error,
    // Never Bun's development error page (stack, source lines, cwd), whatever NODE_ENV says.
    development: false,
    // Bun turns SO_REUSEPORT on with development: false; a second server on the port must fail instead.
    reusePort: false,
  })

  return {
    url: server.url,
    app,
    async stop() {
      ops.close()
      assets.close()
      // 1. Stop accepting. 2. End feeds with a reset so browsers reconnect (to the next process).
      // 3. Let in-flight commands finish (their projections still run), forcing after a grace period.
      const draining = server.stop()
      closeFeeds(bus)
      const drained = await Promise.race([draining.then(() => true), Bun.sleep(SHUTDOWN_GRACE_MS).then(() => false)])
      if (!drained) await server.stop(true)
      sessions.close()
      await Promise.all(projections.map((projection) => projection.stop()))
      bus.close()
      await store.close()
      db.close()
    },
  }
}

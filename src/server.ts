import { slices as appSlices } from './app.ts'
import { type Config, ConfigError } from './config.ts'
import type { AppContext } from './core/app-context.ts'
import { BroadcastRing } from './core/eventsourcing/bus.ts'
import { CommandHandler } from './core/eventsourcing/commands.ts'
import { EventRegistry } from './core/eventsourcing/upcast.ts'
import { type Logger, loggerFor } from './core/ops/log.ts'
import { MetricsRegistry } from './core/ops/metrics.ts'
import { createOps, observeCommand } from './core/ops/ops.ts'
import { Runtime } from './core/runtime.ts'
import type { Slice } from './core/slice.ts'
import { TurnBudget } from './core/turn-budget.ts'
import { createAssetServer } from './core/web/assets.ts'
import type { RequestLogger } from './core/web/http/request-log.ts'
import { createShell } from './core/web/http/shell.ts'
import { FeedRegistry } from './core/web/sse.ts'
import { openStorage } from './storage.ts'
import { readTlsCredentials } from './tls.ts'

/** How long shutdown waits for in-flight requests before closing their connections. */
const SHUTDOWN_GRACE_MS = 10_000

export interface RunningServer {
  /** Where it listens; without a listener, the origin `fetch` answers as (`http://localhost/`). */
  readonly url: URL
  readonly app: AppContext
  /** The whole request pipeline without a socket: route tests call it directly. */
  fetch(req: Request): Promise<Response>
  /** Settles once every projection and resource has started (or starting failed). */
  readonly ready: Promise<void>
  /** Stops accepting, ends feeds, lets in-flight commands finish, closes the database. */
  stop(): Promise<void>
}

export interface StartServerOptions {
  /** The app's slices. @default the list in src/app.ts (tests pass their own) */
  slices?: readonly Slice[]
  /** One line per request (always counted in /metrics first). @default the logger, none when env is test */
  log?: RequestLogger
  /** Every line the server writes. @default JSON in production, readable lines otherwise */
  logger?: Logger
  /** False serves no port: requests come only through `fetch`. @default true */
  listen?: boolean
  /**
   * False resolves as soon as the port is bound, while projections still catch up (see `ready`);
   * a failure to start them is then the caller's to handle. @default true
   */
  waitUntilReady?: boolean
}

/** The origin a server without a listener answers as (its `url`): the port a browser would leave out. */
const UNBOUND_URL = 'http://localhost/'

/**
 * The composition root: config → db → store → bus → routes → Bun.serve → projections and resources.
 * It listens first, so `/healthz` answers at once; a slice's routes wait for its own projections
 * (see startupGate) and `/readyz` is 503 until everything has started.
 */
export async function startServer(config: Config, options: StartServerOptions = {}): Promise<RunningServer> {
  const { slices = appSlices, listen = true } = options
  if (config.env === 'production' && (config.publicOrigins ?? []).length === 0) {
    // Guessing the public address from requests is what CSRF and DNS rebinding exploit.
    throw new ConfigError(
      'Cannot serve in production without PUBLIC_ORIGIN: set it to the address visitors use, e.g. https://app.example.com',
    )
  }
  // Read before anything opens: a bad certificate refuses the start with one sentence.
  const tls = config.tls && listen ? readTlsCredentials(config.tls) : undefined
  const logger = options.logger ?? loggerFor(config.env)
  const metrics = new MetricsRegistry()
  const requestLine: RequestLogger = (line) => logger.info('request', { ...line })
  const log = options.log ?? (config.env === 'test' ? undefined : requestLine)
  const registry = new EventRegistry()
  for (const slice of slices) {
    for (const [type, schema] of Object.entries(slice.events)) registry.register(type, schema)
  }
  // SQLite in DATA_DIR, or PostgreSQL shared by several nodes when DATABASE_URL is set.
  const storage = await openStorage(config, { registry, log: logger })
  const { db, store, sessions } = storage
  const bus = new BroadcastRing(config.ringCapacity)
  await storage.feed(bus)
  const turns = new TurnBudget({ budgetMs: config.commandTurnMs, maxWaiting: config.appendQueueLimit })
  const commands = new CommandHandler(store, { observe: (outcome) => observeCommand(outcome, metrics), turns })
  const feeds = new FeedRegistry({
    bus,
    store,
    log: logger,
    limits: { keepAliveMs: config.keepAliveMs },
  })
  const runtime = new Runtime(logger)
  const assets = createAssetServer({ env: config.env, log: logger })
  const app: AppContext = {
    config,
    db,
    registry,
    store,
    bus,
    commands,
    turns,
    log: logger,
    metrics,
    feeds,
    projection: (definition) => runtime.projection(definition),
    resource: (definition) => runtime.resource(definition),
    readers: () => runtime.readers(),
    devReloadScript: () => assets.scriptTag(),
  }
  let starting = true // until every projection and resource has started (or failed to)
  const ops = createOps({
    sessionCount: storage.sessionCount,
    store,
    bus,
    feeds,
    turns,
    readers: app.readers,
    registry: metrics,
    sessions,
    readyMaxLag: config.readyMaxLag,
    isStarting: () => starting,
  })
  const platform = { ...assets.routes, ...ops.routes }
  let server: ReturnType<typeof Bun.serve> | undefined
  // The origin policy's port: the bound one, else UNBOUND_URL's (80, which browsers leave out).
  const shell = createShell({
    app,
    slices,
    sessions,
    platform,
    metrics,
    log,
    port: () => server?.port ?? 80,
    scheme: tls ? 'https:' : 'http:',
    readiness: runtime.readiness(new Map(slices.map((s) => [s.name, [...s.projections, ...s.resources]]))),
  })
  if (listen) {
    server = Bun.serve({
      port: config.port,
      hostname: config.host,
      // With a certificate: HTTPS, and HTTP/2 to clients that offer it through ALPN (every browser), so
      // a browser's tabs share one connection instead of at most six HTTP/1.1 ones; HTTP/1.1 to the rest.
      ...(tls ? { tls, http2: true } : {}),
      // Bun's router for the routes (the fast path), the same table matched again for the rest;
      // both go through the one pipeline, so every response gets its checks, headers and log line.
      // The dev reload WebSocket upgrade alone is Bun's own.
      routes: { ...shell.routes, ...assets.upgradeRoutes },
      websocket: assets.websocket, // the dev reload channel, in development only
      fetch: shell.unrouted,
      error: shell.error,
      // Never Bun's development error page (stack, source lines, cwd), whatever NODE_ENV says.
      development: false,
      // Bun turns SO_REUSEPORT on with development: false; a second server on the port must fail instead.
      reusePort: false,
    })
  }

  // After listening: projections restore their snapshots and fold the log's tail, then resources start.
  const { snapshots } = storage
  const ready = (async () => {
    await runtime.startProjections(
      slices.flatMap((slice) => slice.projections),
      { store, bus, snapshots, registry },
    )
    await runtime.startResources(
      slices.flatMap((slice) => slice.resources),
      app,
    )
  })().finally(() => {
    starting = false
  })
  ready.catch(() => undefined) // handled by whoever awaits it; never an unhandled rejection

  const running: RunningServer = {
    url: server?.url ?? new URL(UNBOUND_URL),
    app,
    fetch: (req) => shell.fetch(req),
    ready,
    async stop() {
      // The one place shutdown is ordered:
      // 1. Stop accepting. 2. End feeds with a reset so browsers reconnect (to the next process).
      // 3. Let in-flight requests finish, forcing after a grace period. 4. Drain the store's queue,
      //    so every command still queued gets its real outcome (projections catch up with it).
      // 5. Stop the slices' resources, then the projections. 6. Close the storage (sessions, fan-out,
      //    connections, the file), then the bus.
      runtime.abandonStart() // a start still in progress gives up; requests waiting for it get 503
      const draining = server?.stop() ?? Promise.resolve()
      feeds.close()
      const drained = await Promise.race([draining.then(() => true), Bun.sleep(SHUTDOWN_GRACE_MS).then(() => false)])
      if (!drained) await server?.stop(true)
      await store.close()
      // Commands the drain committed may still wait for their projections (read-your-writes):
      // stopping those first would answer a committed command 500.
      await runtime.catchUp(bus.position, SHUTDOWN_GRACE_MS)
      // A resource's start cannot be interrupted; past the grace period shutdown goes on without it.
      await Promise.race([ready.catch(() => undefined), Bun.sleep(SHUTDOWN_GRACE_MS)])
      await runtime.stopResources()
      await runtime.stopProjections()
      await storage.close()
      ops.close()
      assets.close()
      bus.close()
    },
  }
  if (options.waitUntilReady ?? true) {
    try {
      await ready
    } catch (error) {
      await running.stop()
      throw error
    }
  }
  return running
}

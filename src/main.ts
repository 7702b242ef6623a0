import { basename, resolve } from 'node:path'
import { backupDatabase } from './cli/backup.ts'
import { CliError, EXIT } from './cli/cli-error.ts'
import { databasePath, ensureWritableDataDir } from './cli/data-dir.ts'
import { COMMANDS, type CommandName, usage } from './cli/help.ts'
import { type Config, ConfigError, loadConfig } from './config.ts'
import type { EventRegistry } from './core/eventsourcing/upcast.ts'
import { buildInfo } from './core/ops/build-info.ts'
import { type Logger, loggerFor } from './core/ops/log.ts'
import type { RunningServer } from './server.ts'

// The CLI: `ironstar [serve|migrate|backup <file>|rebuild|doctor|version|help]`, also `bun src/main.ts …`.
// Modules with side effects (the server, the slices, DuckDB) are imported only by the command that needs them.

const ROOT = resolve(import.meta.dir, '..')
const isBinary = process.argv[1]?.startsWith('/$bunfs/') ?? false
const program = isBinary ? 'ironstar' : `bun ${basename(process.argv[1] ?? 'main.ts')}`

function parseCommand(argv: readonly string[]): { command: CommandName; args: string[] } {
  if (argv.some((arg) => arg === '--help' || arg === '-h')) return { command: 'help', args: [] }
  if (argv.some((arg) => arg === '--version' || arg === '-v')) return { command: 'version', args: [] }
  const [first = 'serve', ...args] = argv
  if (!(COMMANDS as readonly string[]).includes(first)) {
    throw new CliError(`Cannot run "${first}": it is not a command; see ${program} --help`, EXIT.usage)
  }
  const command = first as CommandName // checked against COMMANDS on the line above
  const arity = command === 'backup' ? 1 : 0
  if (args.length !== arity) {
    const expected = arity === 1 ? 'exactly one file name' : 'no arguments'
    throw new CliError(
      `Cannot run "${command}": it takes ${expected}, got ${args.length}; see ${program} --help`,
      EXIT.usage,
    )
  }
  return { command, args }
}

/** Under `bun run dev` the process is restarted by `bun --watch` on every save, so it must never exit on a code error. */
function isWatchedDevelopment(config: Config): boolean {
  return process.execArgv.includes('--watch') && config.env === 'development'
}

/**
 * The server's code cannot load or start (a syntax error, a missing import, a throw at start-up): print it,
 * show it on the port to the open pages, and wait. Exiting would end `bun --watch` for good; staying
 * alive lets it restart this process with the fix on the next save.
 */
async function waitForFix(config: Config, log: Logger, error: unknown): Promise<number> {
  console.error(error)
  log.error('The server cannot start: fix the file and save, it restarts by itself')
  try {
    const { serveLoadError } = await import('./core/web/assets/dev-fallback.ts')
    const fallback = serveLoadError({ hostname: config.host, port: config.port, root: ROOT, error })
    log.info(`The error is shown on ${fallback.url}`)
  } catch (fallbackError) {
    // The dev loop's own files may be the broken ones; the terminal still has the error.
    log.warn('Cannot show the error in the browser', { error: fallbackError })
  }
  return -1
}

async function serve(config: Config): Promise<number> {
  ensureWritableDataDir(config.dataDir)
  // The server's one logger: JSON lines in production, this CLI's own lines included.
  const log: Logger = loggerFor(config.env)
  let running: RunningServer
  try {
    const { startServer } = await import('./server.ts')
    // Resolves once the port is bound: projections catch up while it already answers (see below).
    running = await startServer(config, { logger: log, waitUntilReady: false })
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage)
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(
        `Cannot listen on ${config.host}:${config.port}: the port is in use; set PORT to a free one`,
        1,
      )
    }
    if (isWatchedDevelopment(config)) return waitForFix(config, log, error)
    throw error
  }
  const { datastarSource, describeDatastar } = await import('./core/web/datastar-pin.ts')
  const datastar = datastarSource()
  const started = `Ironstar listening on ${running.url}; Datastar: ${describeDatastar(datastar)}`
  log.info(started, { env: config.env, dataDir: config.dataDir, ...buildInfo() })
  if (datastar.kind === 'unchecked') log.warn('Pages load a Datastar client nobody checked; see the line above')
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('Shutting down', { signal })
    await running.stop()
    process.exit(EXIT.ok)
  }
  process.once('SIGINT', () => void shutdown('SIGINT')) // the exit happens inside shutdown
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  const begun = performance.now()
  running.ready.then(
    () => log.info('Ready: projections caught up', { ms: Math.round(performance.now() - begun) }),
    async (error) => {
      if (stopping) return // a shutdown during start-up abandons it
      stopping = true
      await running.stop()
      if (isWatchedDevelopment(config)) {
        await waitForFix(config, log, error)
        return
      }
      log.error('The server cannot start its projections', { error })
      process.exit(EXIT.failure)
    },
  )
  return -1
}

async function migrateOnly(config: Config): Promise<number> {
  ensureWritableDataDir(config.dataDir)
  const [{ openDatabase }, { migrate }, { migrations }] = await Promise.all([
    import('./core/eventsourcing/database.ts'),
    import('./core/eventsourcing/migrations.ts'),
    import('./migrations.ts'),
  ])
  const db = openDatabase(databasePath(config.dataDir))
  try {
    const report = migrate(db, migrations)
    if (!config.databaseUrl) console.log(JSON.stringify(report))
    else {
      // The node's own SQLite file (what stays local), then the database every node shares.
      const { migrateSharedDatabase } = await import('./cli/postgres.ts')
      console.log(JSON.stringify({ ...report, postgres: await migrateSharedDatabase(config.databaseUrl) }))
    }
  } finally {
    db.close()
  }
  return EXIT.ok
}

async function rebuild(config: Config): Promise<number> {
  ensureWritableDataDir(config.dataDir)
  const [{ openDatabase }, { migrate }, { migrations }, { slices }, { rebuildProjections }, { SqliteEventStore }] =
    await Promise.all([
      import('./core/eventsourcing/database.ts'),
      import('./core/eventsourcing/migrations.ts'),
      import('./migrations.ts'),
      import('./app.ts'),
      import('./cli/rebuild.ts'),
      import('./core/eventsourcing/store/sqlite-event-store.ts'),
    ])
  const db = openDatabase(databasePath(config.dataDir), { cacheMiB: config.sqliteCacheMiB })
  // With DATABASE_URL the events are PostgreSQL's, shared by every node.
  const shared = config.databaseUrl
    ? await (await import('./cli/postgres.ts')).openSharedStore(config.databaseUrl)
    : null
  try {
    migrate(db, migrations)
    const openStore = shared?.open ?? ((registry: EventRegistry) => new SqliteEventStore(db, registry))
    const report = await rebuildProjections(openStore, slices).catch((error: unknown) => {
      throw new CliError(`Cannot rebuild projections: ${(error as Error).message}`, EXIT.failure, { cause: error })
    })
    for (const p of report.projections) {
      console.log(`${p.slice}/${p.name}: position ${p.position} in ${p.durationMs.toFixed(1)} ms`)
    }
    const count = report.projections.length
    console.log(`Rebuilt ${count} projections from ${report.events} events in ${report.durationMs.toFixed(1)} ms`)
  } finally {
    await shared?.close()
    db.close()
  }
  return EXIT.ok
}

async function doctor(config: Config): Promise<number> {
  const { runDoctor } = await import('./cli/doctor.ts')
  const checks = await runDoctor(config)
  for (const c of checks) console.log(`${c.isOk ? 'ok  ' : 'FAIL'} ${c.name.padEnd(9)} ${c.detail}`)
  return checks.every((c) => c.isOk) ? EXIT.ok : EXIT.failure
}

async function main(argv: readonly string[]): Promise<number> {
  const { command, args } = parseCommand(argv)
  if (command === 'help') {
    console.log(usage(program, { isBinary }))
    return EXIT.ok
  }
  if (command === 'version') {
    const info = buildInfo()
    console.log(
      `ironstar ${info.version} (commit ${info.commit ?? 'unknown'}, built ${info.builtAt ?? 'from source'}, bun ${info.bun})`,
    )
    return EXIT.ok
  }
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage)
    throw error
  }
  switch (command) {
    case 'serve':
      return serve(config)
    case 'migrate':
      return migrateOnly(config)
    case 'backup': {
      if (config.databaseUrl) throw (await import('./cli/postgres.ts')).backupAdvice(config.databaseUrl)
      const report = backupDatabase(config.dataDir, args[0] as string) // arity checked in parseCommand
      console.log(
        `Backed up ${report.events} events (position ${report.position}) to ${report.file} ` +
          `(${report.bytes} bytes) in ${report.durationMs.toFixed(0)} ms`,
      )
      return EXIT.ok
    }
    case 'rebuild':
      return rebuild(config)
    case 'doctor':
      return doctor(config)
    default: {
      const unreachable: never = command
      throw new Error(`Cannot run command ${String(unreachable)}`)
    }
  }
}

try {
  const code = await main(process.argv.slice(2))
  if (code >= 0) process.exit(code)
} catch (error) {
  if (error instanceof CliError) {
    console.error(error.message)
    process.exit(error.exitCode)
  }
  // A database newer than this build (a rollback without restoring the backup): one sentence, no stack.
  if (error instanceof Error && error.name === 'SchemaTooNewError') {
    console.error(error.message)
    process.exit(EXIT.failure)
  }
  console.error(error)
  process.exit(EXIT.failure)
}

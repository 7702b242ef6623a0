import type { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { SQL } from 'bun'
import { type Config, ConfigError } from './config.ts'
import type { StorageFaultError } from './core/errors.ts'
import type { BroadcastRing } from './core/eventsourcing/bus.ts'
import { openDatabase } from './core/eventsourcing/database.ts'
import { migrate } from './core/eventsourcing/migrations.ts'
import { PostgresSnapshotStore } from './core/eventsourcing/snapshots/postgres-snapshot-store.ts'
import { type SnapshotStore, SqliteSnapshotStore } from './core/eventsourcing/snapshots/snapshot-store.ts'
import type { EventStore } from './core/eventsourcing/store/event-store.ts'
import { PostgresEventStore } from './core/eventsourcing/store/postgres-event-store.ts'
import { PostgresFanout } from './core/eventsourcing/store/postgres-fanout.ts'
import { migratePostgres } from './core/eventsourcing/store/postgres-migrations.ts'
import { SqliteEventStore } from './core/eventsourcing/store/sqlite-event-store.ts'
import type { EventRegistry } from './core/eventsourcing/upcast.ts'
import type { Logger } from './core/ops/log.ts'
import { SessionStore, type SessionStoreCounters } from './core/web/session.ts'
import type { SessionPort } from './core/web/session-port.ts'
import { PostgresSessionStore } from './core/web/session-postgres.ts'
import { migrations, postgresMigrations } from './migrations.ts'

/** Connections each node's pool opens at most; the fan-out's LISTEN connection is one more. */
const POOL_SIZE = 8
/** How long a node waits for PostgreSQL at start before it refuses to start. */
const CONNECT_TIMEOUT_SECONDS = 5
/** How often the unexpired-session gauge re-counts PostgreSQL's rows (a count is not free there). */
const SESSION_COUNT_EVERY_MS = 30_000

/**
 * Where one server keeps what it must not lose. `db` is the node's own SQLite file in DATA_DIR
 * in both cases: on PostgreSQL it keeps what is local to the node (the Idempotency-Key answers,
 * `app.db` tables a slice makes), while the events, sessions and fan-out are shared.
 */
export interface Storage {
  readonly engine: 'SQLite' | 'PostgreSQL'
  readonly db: Database
  readonly store: EventStore
  readonly sessions: SessionPort & { counters(): SessionStoreCounters; storageFault(): StorageFaultError | null }
  /** Projection snapshots, beside the events they reflect (shared by the nodes on PostgreSQL). */
  readonly snapshots: SnapshotStore
  /** Unexpired sessions, for the gauge; PostgreSQL's is recounted every 30 s. */
  sessionCount(): number
  /**
   * Makes `ring` receive every committed event in position order: this node's commits on
   * SQLite; every node's on PostgreSQL (the fan-out is then the ring's only publisher, so an
   * event never appears twice). Call it before projections replay, so nothing falls between.
   */
  feed(ring: BroadcastRing): Promise<void>
  /** After the store drained and readers stopped: sessions, fan-out, connections, the file. */
  close(): Promise<void>
}

export interface StorageOptions {
  readonly registry: EventRegistry
  readonly log: Logger
}

/** Opens and migrates the storage the config names: PostgreSQL with DATABASE_URL, else SQLite in DATA_DIR. */
export async function openStorage(config: Config, options: StorageOptions): Promise<Storage> {
  mkdirSync(config.dataDir, { recursive: true })
  const db = openDatabase(join(config.dataDir, 'ironstar.sqlite'), { cacheMiB: config.sqliteCacheMiB })
  migrate(db, migrations)
  if (!config.databaseUrl) return sqliteStorage(db, config, options)
  try {
    return await postgresStorage(db, config.databaseUrl, config, options)
  } catch (error) {
    db.close()
    throw error
  }
}

function sqliteStorage(db: Database, config: Config, { registry, log }: StorageOptions): Storage {
  const store = new SqliteEventStore(db, registry, {
    maxPayloadBytes: config.payloadLimitBytes,
    maxPending: config.appendQueueLimit,
    log,
  })
  const sessions = new SessionStore(db, { maxAgeSeconds: config.sessionMaxAgeSeconds, log })
  return {
    engine: 'SQLite',
    db,
    store,
    sessions,
    snapshots: new SqliteSnapshotStore(db),
    sessionCount: () => countSqliteSessions(db),
    async feed(ring) {
      store.onCommit((events) => ring.publish(events))
    },
    async close() {
      sessions.close()
      db.close()
    },
  }
}

async function postgresStorage(db: Database, url: string, config: Config, options: StorageOptions): Promise<Storage> {
  const { registry, log } = options
  const sql = await connectPostgres(url)
  try {
    await migratePostgres(sql, postgresMigrations)
    const store = new PostgresEventStore(sql, registry, {
      maxPayloadBytes: config.payloadLimitBytes,
      maxPending: config.appendQueueLimit,
      log,
    })
    const sessions = await PostgresSessionStore.open(sql, { maxAgeSeconds: config.sessionMaxAgeSeconds, log })
    const sessionCount = new PostgresSessionCount(sql, log)
    let fanout: PostgresFanout | undefined
    return {
      engine: 'PostgreSQL',
      db,
      store,
      sessions,
      snapshots: new PostgresSnapshotStore(sql),
      sessionCount: () => sessionCount.value,
      async feed(ring) {
        fanout = new PostgresFanout({ url, store, ring, log })
        await fanout.start()
      },
      async close() {
        sessionCount.close()
        await sessions.close()
        await fanout?.close()
        await sql.close()
        db.close()
      },
    }
  } catch (error) {
    await sql.close()
    throw error
  }
}

/**
 * A pool that has answered once: a wrong host, port, password or database refuses the start
 * with one sentence (without the password) instead of failing the first request.
 */
export async function connectPostgres(url: string, max = POOL_SIZE): Promise<SQL> {
  const sql = new SQL(url, { max, connectionTimeout: CONNECT_TIMEOUT_SECONDS })
  try {
    await sql`SELECT 1`
    return sql
  } catch (error) {
    await sql.close().catch(() => {})
    throw new ConfigError(`Cannot connect to PostgreSQL at ${describeDatabase(url)}: ${reasonOf(error)}`, {
      cause: error,
    })
  }
}

/** `host:port/db` of a DATABASE_URL: what an operator needs to see, never the password. */
export function describeDatabase(url: string): string {
  const { hostname, port, pathname } = new URL(url)
  return `${hostname}:${port || '5432'}${pathname || '/'}`
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.replace(/\.$/, '') || 'no answer'
}

function countSqliteSessions(db: Database): number {
  try {
    const row = db.query('SELECT count(*) AS n FROM sessions WHERE expires_at > ?').get(Date.now()) as { n: number }
    return row.n
  } catch {
    return 0 // No sessions table (an app without the web shell's migration) means no sessions.
  }
}

/** The unexpired sessions in PostgreSQL, counted in the background: a scrape never waits on the database. */
class PostgresSessionCount {
  value = 0
  readonly #timer: ReturnType<typeof setInterval>

  constructor(sql: SQL, log: Logger) {
    const count = async () => {
      try {
        const [row] = await sql`SELECT count(*)::int AS n FROM sessions WHERE expires_at > ${Date.now()}`
        this.value = Number(row?.n ?? 0)
      } catch (error) {
        log.warn('Cannot count sessions', { error: reasonOf(error) })
      }
    }
    void count()
    this.#timer = setInterval(count, SESSION_COUNT_EVERY_MS)
    this.#timer.unref()
  }

  close(): void {
    clearInterval(this.#timer)
  }
}

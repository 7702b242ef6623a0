import { z } from 'zod'
import { parseOrigin } from './core/web/http/origin.ts'
import type { RateLimit } from './core/web/http/rate-limit.ts'

const port = z.coerce.number().int().min(0).max(65_535)
const positiveInt = z.coerce.number().int().positive()

/** `https://a.example, https://b.example` → each origin, normalised; anything with a path or another scheme is refused. */
const originList = z.string().transform((raw, ctx) => {
  const origins: string[] = []
  for (const part of raw.split(',').filter((p) => p.trim())) {
    const origin = parseOrigin(part)
    if (origin) origins.push(origin)
    else ctx.addIssue({ code: 'custom', message: `"${part.trim()}" is not an origin like https://app.example.com` })
  }
  return origins
})

/** `postgres://user:password@host:5432/db`: anything else (a typo, another engine) is refused before anything opens. */
const databaseUrl = z.string().refine(
  (raw) => {
    try {
      const url = new URL(raw)
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== ''
    } catch {
      return false
    }
  },
  { message: 'expected a PostgreSQL URL like postgres://user:password@host:5432/ironstar' },
)

/** `60/20` → a bucket of 60 refilled at 20 a second; `0` → no limit. */
function parseRateLimit(raw: string, ctx: z.RefinementCtx): RateLimit | null {
  if (raw.trim() === '0') return null
  const match = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(raw)
  const burst = Number(match?.[1])
  const perSecond = Number(match?.[2])
  if (match && burst >= 1 && perSecond > 0) return { burst, perSecond }
  ctx.addIssue({ code: 'custom', message: 'expected burst/refill per second like 60/20, or 0 for no limit' })
  return z.NEVER
}

const rateLimit = (fallback: string) => z.string().default(fallback).transform(parseRateLimit)
/** Unset (undefined) takes another limit's value. */
const optionalRateLimit = z
  .string()
  .optional()
  .transform((raw, ctx) => (raw === undefined ? undefined : parseRateLimit(raw, ctx)))

/** Every environment variable Ironstar reads, with its default; `--help` prints this table. */
export const CONFIG_VARIABLES = {
  PORT: { schema: port.default(3000), help: 'TCP port to listen on (0 picks a free one)' },
  HOST: { schema: z.string().min(1).default('127.0.0.1'), help: 'Interface to bind (0.0.0.0 for all)' },
  PUBLIC_ORIGIN: {
    schema: originList.optional(),
    help: 'Origin(s) browsers use, e.g. https://app.example.com; required in production, else http(s)://HOST:PORT',
  },
  TLS_CERT: {
    schema: z.string().min(1).optional(),
    help: 'PEM certificate (chain) file; with TLS_KEY, PORT serves HTTPS: HTTP/2 to browsers, HTTP/1.1 to the rest',
  },
  TLS_KEY: { schema: z.string().min(1).optional(), help: 'Unencrypted PEM private key file of TLS_CERT' },
  DATA_DIR: { schema: z.string().min(1).default('./data'), help: 'Directory for the SQLite and DuckDB files' },
  SQLITE_CACHE_MB: {
    schema: positiveInt.default(32),
    help: "SQLite's page cache in MiB: resident memory grows with the database file up to this bound, then stays",
  },
  DATABASE_URL: {
    schema: databaseUrl.optional(),
    help: 'postgres://…: the event store, sessions and fan-out in PostgreSQL, shared by several nodes; unset: SQLite in DATA_DIR',
    // It carries the password: an error names the variable, never its value.
    secret: true,
  },
  IRONSTAR_ENV: {
    schema: z.enum(['development', 'production', 'test']).optional(),
    help: 'development | production | test (defaults to NODE_ENV, else development)',
  },
  NODE_ENV: { schema: z.string().optional(), help: 'Read when IRONSTAR_ENV is unset' },
  RING_CAPACITY: { schema: positiveInt.default(256), help: 'Events the broadcast ring holds' },
  KEEPALIVE_MS: {
    schema: positiveInt.default(15_000),
    help: 'SSE keep-alive interval (a comment, or an empty deflate block on a compressed feed)',
  },
  COMMAND_TURN_MS: {
    schema: positiveInt.default(1),
    help: 'Milliseconds of each event-loop turn commands may take before the rest wait for the next; pages and feeds are answered between turns (larger: more commands a second when saturated, slower pages)',
  },
  READY_MAX_LAG: {
    schema: z.coerce.number().int().min(0).default(1_000),
    help: 'Events a reader may trail the log by while /readyz still answers 200 (a busy node stays in rotation)',
  },
  BODY_LIMIT_BYTES: { schema: positiveInt.default(65_536), help: 'Largest command request body' },
  PAYLOAD_LIMIT_BYTES: { schema: positiveInt.default(1_048_576), help: 'Largest serialised event payload' },
  APPEND_QUEUE_LIMIT: {
    schema: positiveInt.default(10_000),
    help: 'Commands waiting for their turn, or appends waiting for a commit, before further commands answer 503 with Retry-After',
  },
  SESSION_MAX_AGE_DAYS: { schema: positiveInt.default(30), help: 'Session cookie lifetime' },
  IDEMPOTENCY_WINDOW_SECONDS: {
    schema: positiveInt.default(86_400),
    help: 'How long a command answered under an Idempotency-Key is replayed for that key',
  },
  RATE_LIMIT_PER_SESSION: {
    schema: rateLimit('120/20'),
    help: 'Commands a session may send: burst/refill per second, 0 for no limit',
  },
  RATE_LIMIT_SESSIONLESS: {
    schema: optionalRateLimit,
    help: 'Commands all clients without a session may send together: burst/refill per second, 0 for no limit (default: RATE_LIMIT_PER_SESSION)',
  },
  RATE_LIMIT_PER_IP: {
    schema: rateLimit('600/200'),
    help: 'Commands a client IP (a proxy, behind one) may send: burst/refill per second, 0 for no limit',
  },
  IRONSTAR_CACHE_DIR: {
    schema: z.string().min(1).optional(),
    help: 'Where the binary extracts DuckDB once (default $XDG_CACHE_HOME/ironstar, else ~/.cache/ironstar)',
  },
  ANALYTICS_TIMEOUT_MS: { schema: positiveInt.default(10_000), help: 'Analytics query time limit' },
  ANALYTICS_ROW_LIMIT: { schema: positiveInt.default(10_000), help: 'Rows an analytics query returns at most' },
  ANALYTICS_MEMORY_LIMIT: {
    schema: z
      .string()
      .regex(/^\d+(\.\d+)?\s*[KMGT]i?B$/i)
      .default('512MB'),
    help: 'DuckDB memory limit',
  },
  ANALYTICS_REMOTE_PREFIXES: {
    schema: z.string().optional(),
    help: 'Comma-separated URL prefixes analytics may read over httpfs (needs the extension installed)',
  },
} as const

type Variables = typeof CONFIG_VARIABLES
type Parsed = { [K in keyof Variables]: z.output<Variables[K]['schema']> }

export interface Config {
  readonly port: number
  readonly host: string
  /** PUBLIC_ORIGIN: what browsers' `Origin` and `Host` must be; empty means the listen address (not in production). */
  readonly publicOrigins?: readonly string[]
  /** TLS_CERT and TLS_KEY: serve HTTPS (HTTP/2 and HTTP/1.1) instead of plain HTTP. */
  readonly tls?: TlsFiles
  readonly dataDir: string
  /** SQLITE_CACHE_MB: the page cache of the SQLite file; absent in hand-built configs (32 MiB). */
  readonly sqliteCacheMiB?: number
  /** DATABASE_URL: PostgreSQL for the event store, sessions and fan-out; absent means SQLite in `dataDir`. */
  readonly databaseUrl?: string
  readonly env: 'development' | 'production' | 'test'
  readonly ringCapacity: number
  readonly keepAliveMs: number
  /** Events a reader may trail the log by while `/readyz` still answers 200; absent in hand-built configs (0). */
  readonly readyMaxLag?: number
  /** COMMAND_TURN_MS: a turn's budget for commands; absent in hand-built configs (1 ms). */
  readonly commandTurnMs?: number
  readonly bodyLimitBytes: number
  readonly payloadLimitBytes: number
  /** Appends waiting for a commit before new ones are refused; absent in hand-built configs (10,000). */
  readonly appendQueueLimit?: number
  readonly sessionMaxAgeSeconds: number
  /** How long a command's answer under an `Idempotency-Key` is kept and replayed. */
  readonly idempotencyWindowSeconds: number
  /**
   * Token buckets on commands, per session, one shared by every client without a session, and
   * per client IP; null is no limit.
   */
  readonly rateLimit: {
    readonly perSession: RateLimit | null
    readonly sessionless: RateLimit | null
    readonly perIp: RateLimit | null
  }
  /** DuckDB limits; absent in hand-built configs (tests), where the analytics defaults apply. */
  readonly analytics?: {
    readonly timeoutMs: number
    readonly rowLimit: number
    readonly memoryLimit: string
    readonly remotePrefixes: readonly string[]
  }
}

/** Paths of a PEM certificate (chain) and its private key; read and checked when the server starts. */
export interface TlsFiles {
  readonly certPath: string
  readonly keyPath: string
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/** Parses the environment once; an invalid value throws ConfigError naming the variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const parsed = {} as Record<string, unknown>
  for (const [name, variable] of Object.entries(CONFIG_VARIABLES)) {
    const { schema } = variable
    const raw = env[name] === '' ? undefined : env[name]
    const result = (schema as z.ZodType).safeParse(raw)
    if (!result.success) {
      const reason = result.error.issues.map((issue) => issue.message).join('; ')
      const shown = 'secret' in variable ? '' : `=${JSON.stringify(raw)}`
      throw new ConfigError(`Invalid environment variable ${name}${shown}: ${reason}`)
    }
    parsed[name] = result.data
  }
  const values = parsed as Parsed
  const nodeEnv = values.NODE_ENV === 'production' || values.NODE_ENV === 'test' ? values.NODE_ENV : 'development'
  return {
    port: values.PORT,
    host: values.HOST,
    publicOrigins: values.PUBLIC_ORIGIN ?? [],
    ...tlsFiles(values.TLS_CERT, values.TLS_KEY),
    dataDir: values.DATA_DIR,
    sqliteCacheMiB: values.SQLITE_CACHE_MB,
    ...(values.DATABASE_URL ? { databaseUrl: values.DATABASE_URL } : {}),
    env: values.IRONSTAR_ENV ?? nodeEnv,
    ringCapacity: values.RING_CAPACITY,
    keepAliveMs: values.KEEPALIVE_MS,
    readyMaxLag: values.READY_MAX_LAG,
    commandTurnMs: values.COMMAND_TURN_MS,
    bodyLimitBytes: values.BODY_LIMIT_BYTES,
    payloadLimitBytes: values.PAYLOAD_LIMIT_BYTES,
    appendQueueLimit: values.APPEND_QUEUE_LIMIT,
    sessionMaxAgeSeconds: values.SESSION_MAX_AGE_DAYS * 86_400,
    idempotencyWindowSeconds: values.IDEMPOTENCY_WINDOW_SECONDS,
    rateLimit: {
      perSession: values.RATE_LIMIT_PER_SESSION,
      sessionless:
        values.RATE_LIMIT_SESSIONLESS === undefined ? values.RATE_LIMIT_PER_SESSION : values.RATE_LIMIT_SESSIONLESS,
      perIp: values.RATE_LIMIT_PER_IP,
    },
    analytics: {
      timeoutMs: values.ANALYTICS_TIMEOUT_MS,
      rowLimit: values.ANALYTICS_ROW_LIMIT,
      memoryLimit: values.ANALYTICS_MEMORY_LIMIT,
      remotePrefixes: (values.ANALYTICS_REMOTE_PREFIXES ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    },
  }
}

/** A certificate without its key (or the reverse) is a half-done setup: refuse it rather than serve plain HTTP. */
function tlsFiles(certPath: string | undefined, keyPath: string | undefined): { tls?: TlsFiles } {
  if (certPath === undefined && keyPath === undefined) return {}
  if (certPath === undefined || keyPath === undefined) {
    const [set, unset] = certPath === undefined ? ['TLS_KEY', 'TLS_CERT'] : ['TLS_CERT', 'TLS_KEY']
    throw new ConfigError(`Cannot serve HTTPS with only ${set} set: set ${unset} too, or neither for plain HTTP`)
  }
  return { tls: { certPath, keyPath } }
}

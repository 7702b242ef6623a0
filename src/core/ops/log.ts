/** Structured logging: one JSON object per line in production (for journald and log shippers), readable in dev. */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
export type LogFormat = 'json' | 'pretty'
export type LogFields = Readonly<Record<string, unknown>>

export interface LogOptions {
  format?: LogFormat
  /** Lines below this level are dropped. @default 'info' */
  level?: LogLevel
  /** Where lines go; tests capture them. @default stdout for debug/info, stderr for warn/error */
  write?: (line: string, level: LogLevel) => void
}

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }
const COLOUR: Record<LogLevel, string> = { debug: '\x1b[2m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m' }

/** Errors do not survive JSON.stringify (their fields are not enumerable); keep what an operator needs. */
function serialisable(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack, cause: serialisable(value.cause) }
  }
  return value
}

function toJson(level: LogLevel, msg: string, fields: LogFields): string {
  const record: Record<string, unknown> = { time: new Date().toISOString(), level, msg }
  for (const [key, value] of Object.entries(fields)) record[key] = serialisable(value)
  return JSON.stringify(record)
}

function toPretty(level: LogLevel, msg: string, fields: LogFields, isTty: boolean): string {
  const time = new Date().toISOString().slice(11, 23)
  const tag = level.toUpperCase().padEnd(5)
  const extras: string[] = []
  let stack = ''
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) stack += `\n${value.stack ?? value.message}`
    else extras.push(`${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`)
  }
  const head = isTty ? `\x1b[2m${time}\x1b[0m ${COLOUR[level]}${tag}\x1b[0m` : `${time} ${tag}`
  return `${head} ${msg}${extras.length > 0 ? ` ${extras.join(' ')}` : ''}${stack}`
}

function defaultWrite(line: string, level: LogLevel): void {
  const stream = RANK[level] >= RANK.warn ? process.stderr : process.stdout
  stream.write(`${line}\n`)
}

/** A logger with its own format and level; each server makes one (`app.log`) and hands it down. */
export function createLogger({ format = 'json', level = 'info', write = defaultWrite }: LogOptions = {}): Logger {
  const isTty = Boolean(process.stdout.isTTY)
  const emit = (at: LogLevel, msg: string, fields: LogFields = {}) => {
    if (RANK[at] < RANK[level]) return
    write(format === 'json' ? toJson(at, msg, fields) : toPretty(at, msg, fields, isTty), at)
  }
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  }
}

/** JSON in production, readable lines in development and tests. */
export function logFormatFor(env: 'development' | 'production' | 'test'): LogFormat {
  return env === 'production' ? 'json' : 'pretty'
}

/** The logger a server uses unless given one: JSON in production, readable lines otherwise. */
export function loggerFor(env: 'development' | 'production' | 'test'): Logger {
  return createLogger({ format: logFormatFor(env) })
}

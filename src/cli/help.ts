import type { z } from 'zod'
import { CONFIG_VARIABLES } from '../config.ts'

export const COMMANDS = ['serve', 'migrate', 'backup', 'rebuild', 'doctor', 'version', 'help'] as const
export type CommandName = (typeof COMMANDS)[number]

/** What the compiled binary's entry sets IRONSTAR_ENV to when neither it nor NODE_ENV is set. */
export const BINARY_DEFAULT_ENV = 'production'

/** Where the help is printed from: the two differ in IRONSTAR_ENV's default. */
export interface UsageOptions {
  readonly isBinary: boolean
}

/** The default a variable takes when unset, read from its schema so the help can never drift from the parser. */
export function defaultOf(schema: z.ZodType): string {
  const result = schema.safeParse(undefined)
  return result.success && result.data !== undefined ? String(result.data) : '(unset)'
}

/** IRONSTAR_ENV has no default in its schema: the binary's entry or NODE_ENV decides, so say which applies here. */
function environmentRow({ isBinary }: UsageOptions): [string, string, string] {
  const fromNodeEnv = 'NODE_ENV if it is production or test, else development'
  return isBinary
    ? [
        'IRONSTAR_ENV',
        BINARY_DEFAULT_ENV,
        `development | production | test; unset: production, or when NODE_ENV is set, ${fromNodeEnv}`,
      ]
    : ['IRONSTAR_ENV', 'development', `development | production | test; unset: ${fromNodeEnv}`]
}

function environmentTable(options: UsageOptions): string {
  const rows = Object.entries(CONFIG_VARIABLES).map(([name, { schema, help }]) =>
    name === 'IRONSTAR_ENV' ? environmentRow(options) : [name, defaultOf(schema as z.ZodType), help],
  )
  const nameWidth = Math.max(...rows.map(([name]) => name?.length ?? 0))
  const defaultWidth = Math.max(...rows.map(([, value]) => value?.length ?? 0))
  return rows
    .map(([name = '', value = '', help = '']) => `  ${name.padEnd(nameWidth)}  ${value.padEnd(defaultWidth)}  ${help}`)
    .join('\n')
}

export function usage(program: string, options: UsageOptions): string {
  return `Usage: ${program} [command] [arguments]

Commands:
  serve            Start the web server (the default)
  migrate          Apply pending database migrations (SQLite, and PostgreSQL with DATABASE_URL) and exit
  backup <file>    Write a consistent copy of the SQLite database to <file>, safe while the server runs
                   (with DATABASE_URL: use pg_dump, see docs/deploy.md)
  rebuild          Rebuild every projection from the event log (PostgreSQL's with DATABASE_URL)
  doctor           Check DATA_DIR, SQLite, PostgreSQL (with DATABASE_URL), DuckDB and the assets, then exit
  version          Print the version, commit and build time
  help             Show this help (also --help, -h)

Environment variables (name, default, meaning):
${environmentTable(options)}

Exit codes: 0 success, 1 failure at run time (port in use, unwritable DATA_DIR, a failed check),
2 bad arguments or an invalid environment variable.`
}

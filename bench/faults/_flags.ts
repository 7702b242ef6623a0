// Numeric `--name value` flags for the fault harnesses, with their defaults (the short run) and
// a `--help` that lists them.
import { parseArgs } from 'node:util'

export interface Flag {
  readonly default: number
  readonly help: string
}

/** Reads `--name <n>` for each flag; prints usage and exits on `--help` or a value that is not a number. */
export function readFlags<F extends Record<string, Flag>>(usage: string, flags: F): { [K in keyof F]: number } {
  const options = Object.fromEntries(Object.keys(flags).map((name) => [name, { type: 'string' as const }]))
  const { values } = parseArgs({ options: { ...options, help: { type: 'boolean' } }, strict: true })
  const lines = Object.entries(flags).map(([name, flag]) => `  --${name} <n>  ${flag.help} (default ${flag.default})`)
  if (values.help) {
    console.log(`${usage}\n\n${lines.join('\n')}`)
    process.exit(0)
  }
  const read = Object.entries(flags).map(([name, flag]) => {
    const raw = (values as Record<string, string | boolean | undefined>)[name]
    const value = typeof raw === 'string' ? Number(raw) : flag.default
    if (!Number.isFinite(value) || value < 0) {
      console.error(`Cannot read --${name} ${raw}: expected a number\n\n${lines.join('\n')}`)
      process.exit(2)
    }
    return [name, value]
  })
  return Object.fromEntries(read) as { [K in keyof F]: number }
}

/** The load average over the last minute, for the figures' context. */
export async function loadAverage(): Promise<string> {
  const text = await Bun.file('/proc/loadavg')
    .text()
    .catch(() => '')
  return text.split(' ')[0] ?? 'unknown'
}

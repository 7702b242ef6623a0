import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Logger, loggerFor } from '../../ops/log.ts'
import { type DevProblem, formatProblem, MAX_PROBLEMS_PER_SOURCE } from './dev-problems.ts'

/** Where tsc keeps what it learnt, so a check after one changed file takes a fraction of a full one. */
const BUILD_INFO = '.build/dev/typecheck.tsbuildinfo'
/** A check that takes longer than this is stuck; it is killed and the next request starts over. */
const TIMEOUT_MS = 60_000
/** tsc's output is read up to this size; past the first problems the rest is only counted. */
const MAX_OUTPUT_BYTES = 256 * 1024
/**
 * `bun --watch` restarts the process on every save under src/, so a check is started only after the
 * process has lived this long: a burst of saves costs one check, not one per save.
 */
const SETTLE_MS = 400

export interface TypeCheckResult {
  readonly problems: readonly DevProblem[]
  /** Every error tsc reported, including those past the listed ones. */
  readonly total: number
}

/** `file(line,col): error TS1234: message`, followed by indented continuation lines. */
export function parseTscOutput(output: string): TypeCheckResult {
  const problems: DevProblem[] = []
  let total = 0
  let last: { -readonly [K in keyof DevProblem]: DevProblem[K] } | null = null
  for (const line of output.split('\n')) {
    const match = line.match(/^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/)
    if (match) {
      total++
      const [, file = '', row = '0', column = '0', code = '', message = ''] = match
      last =
        total <= MAX_PROBLEMS_PER_SOURCE
          ? { source: 'types', file, line: Number(row), column: Number(column), message: `${message} (${code})` }
          : null
      if (last) problems.push(last)
    } else if (last && /^\s+\S/.test(line)) {
      last.message += `\n${line.trim()}`
    } else if (line.trim() !== '') {
      last = null
    }
  }
  return { problems, total }
}

/** The project's own tsc, if installed: the dev type check is a convenience, never a requirement. */
function tscPath(root: string): string | null {
  const path = join(root, 'node_modules/.bin/tsc')
  return existsSync(path) && existsSync(join(root, 'tsconfig.json')) ? path : null
}

export interface DevTypeCheckerOptions {
  /** Called after each check with its problems (empty when the project type-checks). */
  onResult: (result: TypeCheckResult) => void
  /** Where type errors are reported. @default a development logger */
  log?: Logger
}

/**
 * Runs `tsc --noEmit` in the background in development: once after start, and again on request (a web/
 * rebuild). One check at a time, at most one more queued, each bounded in time and output.
 */
export class DevTypeChecker {
  readonly #root: string
  readonly #tsc: string | null
  readonly #onResult: DevTypeCheckerOptions['onResult']
  readonly #log: Logger
  #child: ChildProcess | null = null
  #isQueued = false
  #timer: ReturnType<typeof setTimeout> | null = null
  #closed = false
  #lastReport = ''

  constructor(root: string, { onResult, log = loggerFor('development') }: DevTypeCheckerOptions) {
    this.#root = root
    this.#log = log
    this.#tsc = tscPath(root)
    this.#onResult = onResult
  }

  get isAvailable(): boolean {
    return this.#tsc !== null
  }

  /** Asks for a check; requests while one runs collapse into one more check after it. */
  request(): void {
    if (this.#closed || !this.#tsc) return
    if (this.#child) {
      this.#isQueued = true
      return
    }
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.#run(), SETTLE_MS)
  }

  /** Stops a running check at once: the server is stopping, or `bun --watch` is restarting it. */
  close(): void {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    if (this.#child) killGroup(this.#child)
  }

  async #run(): Promise<void> {
    this.#timer = null
    if (this.#closed || !this.#tsc) return
    mkdirSync(join(this.#root, '.build/dev'), { recursive: true })
    // Run by this Bun, in a process group of its own: npm's `tsc` is a script that may start the real
    // compiler as a child, and killing only the script would leave that child running.
    const args = [this.#tsc, '--noEmit', '--pretty', 'false', '--incremental', '--tsBuildInfoFile', BUILD_INFO]
    const child = spawn(process.execPath, args, {
      cwd: this.#root,
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    this.#child = child
    const timer = setTimeout(() => killGroup(child), TIMEOUT_MS)
    const [output, { code, signal }] = await Promise.all([readBounded(child), exited(child)])
    clearTimeout(timer)
    this.#child = null
    if (this.#closed) return
    // Killed (timeout or close) says nothing about the code; only a finished check is reported.
    if (signal === null && (code === 0 || code === 1 || code === 2)) this.#report(parseTscOutput(output))
    if (this.#isQueued) {
      this.#isQueued = false
      this.request()
    }
  }

  #report(result: TypeCheckResult): void {
    this.#onResult(result)
    const text = result.problems.map(formatProblem).join('\n  ')
    if (text === this.#lastReport) return
    if (result.total > 0) {
      const more =
        result.total > result.problems.length ? `\n  … and ${result.total - result.problems.length} more` : ''
      this.#log.error(`Type errors (${result.total}):\n  ${text}${more}`)
    } else if (this.#lastReport !== '') this.#log.info('Type check: no errors')
    this.#lastReport = text
  }
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    child.once('error', () => resolve({ code: null, signal: null }))
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
}

async function readBounded(child: ChildProcess): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  let bytes = 0
  for await (const chunk of child.stdout ?? []) {
    const data = chunk as Uint8Array
    if (bytes < MAX_OUTPUT_BYTES) text += decoder.decode(data.subarray(0, MAX_OUTPUT_BYTES - bytes), { stream: true })
    bytes += data.byteLength // keep draining, or tsc would block on a full pipe
  }
  return text
}

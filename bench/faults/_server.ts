// The real server as a child process (`bun src/main.ts serve`), for the fault harnesses and their
// short versions in the test suite: started on a given port and data directory, timed to its
// first healthy answer, and killed however the harness likes.
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { sqliteEnv } from '../../test/fixtures/process.ts'

export { freePort } from '../../test/fixtures/process.ts'

const ROOT = join(import.meta.dir, '../..')

export interface ServerProcess {
  readonly child: Subprocess<'pipe', 'ignore', 'pipe'>
  readonly origin: string
  /** Milliseconds from the spawn to the first `200` from `/healthz`. */
  readonly readyMs: number
}

export interface SpawnOptions {
  readonly port: number
  readonly dataDir: string
  /** Where the child's log lines go (appended); one file per harness run. */
  readonly logFile: string
  /** Extra environment, e.g. a smaller store queue. */
  readonly env?: Record<string, string>
  /** The script to run instead of `src/main.ts serve` (one that takes faults on stdin). */
  readonly script?: string
  /** @default 20000 */
  readonly timeoutMs?: number
}

/** Starts the server and waits until `/healthz` answers 200; throws (after killing it) if it never does. */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  const { port, dataDir, logFile, env = {}, timeoutMs = 20_000, script } = options
  const started = performance.now()
  const child = Bun.spawn(['bun', ...(script ? [script] : ['src/main.ts', 'serve'])], {
    cwd: ROOT,
    env: {
      ...sqliteEnv(),
      PORT: String(port),
      DATA_DIR: dataDir,
      IRONSTAR_ENV: 'test',
      // The harness is the only client: its load must meet the store, not the token buckets.
      RATE_LIMIT_PER_SESSION: '0',
      RATE_LIMIT_PER_IP: '0',
      ...env,
    },
    stdin: 'pipe',
    stdout: 'ignore',
    stderr: 'pipe',
  })
  void appendStream(child.stderr, logFile)
  const origin = `http://127.0.0.1:${port}`
  const deadline = started + timeoutMs
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The server exited with ${child.exitCode} at start; see ${logFile}`)
    const healthy = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(1_000) })
      .then((res) => res.ok)
      .catch(() => false)
    if (healthy) return { child, origin, readyMs: performance.now() - started }
    await Bun.sleep(10)
  }
  child.kill('SIGKILL')
  throw new Error(`The server did not answer /healthz within ${timeoutMs} ms; see ${logFile}`)
}

/** Copies the child's stderr into the log file as it comes, so a SIGKILL loses none of it. */
async function appendStream(stream: ReadableStream<Uint8Array>, path: string): Promise<void> {
  for await (const chunk of stream) appendFileSync(path, chunk)
}

/** Sends `signal` to the child and waits for it to be gone. */
export async function killServer(server: ServerProcess, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
  server.child.kill(signal)
  await server.child.exited
}

// The servers the browser-shaped fan-out bench compares: the real app (`src/main.ts serve`) from
// any checkout, so an old and a new design run side by side in one bench run, and the bare
// baseline. Memory and CPU are read from /proc, so the app needs no bench hook.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Subprocess } from 'bun'
import { sqliteEnv } from '../../test/fixtures/process.ts'

export interface BenchServer {
  readonly label: string
  readonly base: string
  readonly port: number
  readonly process: Subprocess
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const { port } = probe
  probe.stop(true)
  return port
}

async function ready(base: string, child: Subprocess): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 100) {
    if (child.exitCode !== null) throw new Error(`The server at ${base} exited with code ${child.exitCode}`)
    const ok = await fetch(`${base}/healthz`)
      .then((r) => r.ok)
      .catch(() => false)
    if (ok) return
    await Bun.sleep(100)
  }
  throw new Error(`The server at ${base} did not answer /healthz within 60 s`)
}

/** `<short hash> <subject>` of the checkout's HEAD, or its path when it is not a git work tree. */
async function labelOf(tree: string): Promise<string> {
  const git = Bun.spawnSync(['git', '-C', tree, 'log', '-1', '--format=%h %s'], { stderr: 'ignore' })
  const line = git.stdout.toString().trim()
  return line ? `${line.slice(0, 60)}${line.length > 60 ? '…' : ''}` : tree
}

/** Spawns a server on `port` and waits for its /healthz; `cleanup` runs after it exited. */
async function launch(
  label: string,
  port: number,
  command: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> },
  cleanup = () => {},
): Promise<BenchServer> {
  const base = `http://127.0.0.1:${port}`
  const child = Bun.spawn(command, { ...options, stdout: 'ignore', stderr: 'inherit' })
  await ready(base, child)
  return {
    label,
    base,
    port,
    process: child,
    stop: async () => {
      child.kill('SIGTERM')
      await child.exited
      cleanup()
    },
  }
}

/**
 * The app from `tree`, in production mode on a fresh data directory, rate limits off (one bench IP);
 * `extra` adds to its environment (DATABASE_URL for a node of a PostgreSQL cluster).
 */
export async function startApp(tree: string, extra: Record<string, string> = {}): Promise<BenchServer> {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-fanout-app-'))
  const env = {
    ...sqliteEnv(),
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_ORIGIN: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    IRONSTAR_ENV: 'production',
    RATE_LIMIT_PER_IP: '0',
    ...extra,
  }
  return launch(await labelOf(tree), port, ['bun', resolve(tree, 'src/main.ts'), 'serve'], { cwd: tree, env }, () =>
    rmSync(dataDir, { recursive: true, force: true }),
  )
}

export async function startBare(): Promise<BenchServer> {
  const port = await freePort()
  return launch(
    'bare Bun.serve, same bytes to all (baseline)',
    port,
    ['bun', `${import.meta.dir}/bare-counter.ts`, String(port)],
    {},
  )
}

/** Resident memory (bytes) and CPU time (ms, user + system) of a process, from /proc. */
export async function usage(pid: number): Promise<{ rss: number; cpuMs: number }> {
  const status = await Bun.file(`/proc/${pid}/status`).text()
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024
  const stat = (await Bun.file(`/proc/${pid}/stat`).text()).split(') ')[1]?.split(' ') ?? []
  const ticks = Number(stat[11] ?? 0) + Number(stat[12] ?? 0) // utime, stime (fields 14, 15)
  return { rss, cpuMs: (ticks * 1000) / 100 }
}

/**
 * `count` visitors: each a real GET of /counter, whose Set-Cookie becomes that visitor's Cookie
 * header, so the server holds `count` distinct sessions. Also the position the page was rendered at.
 */
export async function visitors(base: string, count: number): Promise<{ cookies: string[]; position: number }> {
  const cookies: string[] = new Array(count)
  let position = 0
  let next = 0
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const index = next++
        const response = await fetch(`${base}/counter`)
        const page = await response.text()
        position = Math.max(position, Number(/since=(\d+)/.exec(page)?.[1] ?? 0))
        cookies[index] = response.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .join('; ')
      }
    }),
  )
  return { cookies, position }
}

/**
 * One increment of the shared counter, as a browser's Datastar request from visitor `cookie`:
 * the command's status (204 accepted; a refusal answers 200 with its own in `Ironstar-Status`).
 */
export async function incrementCounter(server: BenchServer, cookie: string): Promise<number> {
  const response = await fetch(`${server.base}/counter/global/increment`, {
    method: 'POST',
    headers: { Cookie: cookie, Origin: server.base, 'Datastar-Request': 'true', 'Content-Type': 'application/json' },
    body: '{}',
  })
  await response.arrayBuffer()
  return Number(response.headers.get('Ironstar-Status') ?? response.status)
}

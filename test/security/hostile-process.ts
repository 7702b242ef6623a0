/**
 * The real app in a child process for the hostile-input campaign, and what its files say after:
 * the events written, the sessions stored, text that should not have got through.
 */
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { assertValidText } from '../../src/core/web/http/valid-text.ts'
import { sqliteEnv } from '../fixtures/process.ts'
import type { Route } from './hostile-requests.ts'

export interface HostileServer {
  readonly child: Subprocess<'pipe', 'pipe', 'pipe'>
  readonly origin: string
  readonly host: string
  readonly port: number
  /** Every route the app serves (the slices', the shell's, ops, assets) and one it does not. */
  readonly routes: readonly Route[]
  /** The event log, read-only. */
  readonly events: Database
  /** What the server wrote on stderr, once it has exited. */
  readonly stderr: Promise<string>
  stop(): Promise<void>
}

export async function startHostileServer(): Promise<HostileServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ironstar-hostile-'))
  const child = Bun.spawn([process.execPath, join(import.meta.dir, 'hostile-server.ts')], {
    // No rate limits: past them every command would get 429 before its input is even read.
    env: { ...sqliteEnv(), DATA_DIR: dir, IRONSTAR_ENV: 'test', RATE_LIMIT_PER_SESSION: '0', RATE_LIMIT_PER_IP: '0' },
    // Held open: the server ends when it closes, so a killed runner leaves none behind.
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const stderr = new Response(child.stderr).text()
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader()
  let first = ''
  while (!first.includes('\n')) {
    const { done, value } = await reader.read()
    if (done) throw new Error(`The server exited before it listened: ${await stderr}`)
    first += value
  }
  // Keep reading whatever else it prints, so a full pipe never stalls it.
  void (async () => {
    while (!(await reader.read()).done) {}
  })()
  const started = JSON.parse(first) as { url: string; routes: Route[] }
  const url = new URL(started.url)
  const events = new Database(join(dir, 'ironstar.sqlite'), { readonly: true })
  return {
    child,
    origin: url.origin,
    host: url.host,
    port: Number(url.port),
    // The shell's, the ops and the assets routes sit beside the slices'.
    routes: [
      ...started.routes,
      { path: '/theme', methods: ['POST'] },
      { path: '/healthz', methods: ['GET'] },
      { path: '/readyz', methods: ['GET'] },
      { path: '/metrics', methods: ['GET'] },
      { path: '/assets/*', methods: ['GET'] },
      { path: '/no/such/page', methods: ['GET', 'POST'] },
    ],
    events,
    stderr,
    async stop() {
      events.close()
      child.kill()
      await child.exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export const headPosition = ({ events }: HostileServer) =>
  (events.query('SELECT max(global_position) AS n FROM events').get() as { n: number | null }).n ?? 0

export const typesAfter = ({ events }: HostileServer, position: number) =>
  (
    events.query('SELECT event_type AS type FROM events WHERE global_position > ?').all(position) as { type: string }[]
  ).map((row) => row.type)

/** The token hashes of every stored session. */
export const sessionRows = ({ events }: HostileServer) =>
  new Set((events.query('SELECT token_hash AS hash FROM sessions').all() as { hash: string }[]).map((r) => r.hash))

/** Events whose payload holds text a reader downstream could not take: the boundary let it through. */
export function storedInvalidText({ events }: HostileServer): string[] {
  const rows = events.query('SELECT global_position AS position, payload FROM events').all() as {
    position: number
    payload: string
  }[]
  return rows.flatMap(({ position, payload }) => {
    try {
      assertValidText(JSON.parse(payload))
      return []
    } catch (error) {
      return [`event ${position}: ${(error as Error).message}`]
    }
  })
}

/** Events written by a request hidden inside another's body (request smuggling): there must be none. */
export const smuggledWrites = ({ events }: HostileServer) =>
  (events.query("SELECT count(*) AS n FROM events WHERE payload LIKE '%smuggled%'").get() as { n: number }).n

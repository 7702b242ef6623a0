import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.ts'
import type { Slice } from '../../src/core/slice.ts'
import { SseConnection, type SseEvent, SseParser } from '../../src/core/testing/sse-client.ts'
import { type RunningServer, startServer } from '../../src/server.ts'

/** A browser-like client: keeps its session cookie and sends same-origin headers. */
export interface Client {
  get(path: string, headers?: Record<string, string>): Promise<Response>
  post(
    path: string,
    body?: Record<string, string> | object,
    options?: { datastar?: boolean; json?: boolean },
  ): Promise<Response>
  /** Opens a feed and returns the events it sent within `ms`, then disconnects. */
  feed(path: string, ms?: number): Promise<SseEvent[]>
  /** Opens a feed with this client's session and keeps it open (close it when done). */
  open(path: string, headers?: Record<string, string>): Promise<SseConnection>
}

export interface AppServer {
  readonly server: RunningServer
  client(): Client
  /** A bare request, with no cookie or origin headers (a non-browser client). */
  send(path: string, init?: RequestInit): Promise<Response>
  /** The newest global position in the store (to check that bad input wrote nothing). */
  head(): Promise<number>
  close(): Promise<void>
}

export type Send = (url: string, init?: RequestInit) => Promise<Response>

/**
 * A real server over a temporary directory, serving only `slices`: on an ephemeral port, or with
 * `listen: false` on none, its client then calling the app's `fetch` (the same pipeline, no socket);
 * `env` adds settings (e.g. a small `RING_CAPACITY`).
 */
export async function startAppServer(
  slices: readonly Slice[],
  { listen = true, env = {} }: { listen?: boolean; env?: Record<string, string> } = {},
): Promise<AppServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ironstar-features-'))
  const config = loadConfig({ PORT: '0', DATA_DIR: dir, IRONSTAR_ENV: 'test', ...env })
  const server = await startServer(config, { slices, listen })
  const base = server.url.origin
  const send: Send = listen ? fetch : (url, init) => server.fetch(new Request(url, init))
  return {
    server,
    head: () => server.app.store.headPosition(),
    client: () => makeClient(base, send),
    send: (path, init) => send(base + path, init),
    async close() {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function makeClient(base: string, send: Send): Client {
  let cookie = ''
  const remember = (response: Response) => {
    const set = response.headers.get('set-cookie')
    if (set) cookie = set.split(';')[0] ?? ''
    return response
  }
  const headers = (extra: Record<string, string> = {}) => ({
    Origin: base,
    ...(cookie ? { Cookie: cookie } : {}),
    ...extra,
  })
  return {
    async get(path, extra) {
      return remember(await send(base + path, { headers: headers(extra), redirect: 'manual' }))
    },
    async post(path, body = {}, { datastar = false, json = false } = {}) {
      const init: RequestInit = { method: 'POST', redirect: 'manual' }
      const extra: Record<string, string> = datastar ? { 'Datastar-Request': 'true' } : {}
      if (json) {
        init.body = JSON.stringify(body)
        extra['Content-Type'] = 'application/json'
      } else {
        init.body = new URLSearchParams(body as Record<string, string>).toString()
        extra['Content-Type'] = 'application/x-www-form-urlencoded'
      }
      init.headers = headers(extra)
      return remember(await send(base + path, init))
    },
    open(path, extra) {
      return SseConnection.open(base + path, { headers: headers(extra) })
    },
    async feed(path, ms = 300) {
      const controller = new AbortController()
      const response = await send(base + path, { headers: headers(), signal: controller.signal })
      const parser = new SseParser()
      const events: SseEvent[] = []
      if (!response.ok || !response.body) return events
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      const timer = setTimeout(() => controller.abort(), ms)
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          events.push(...parser.push(value))
        }
      } catch {
        // Aborted after `ms`: that is how the test disconnects.
      } finally {
        clearTimeout(timer)
      }
      return events
    },
  }
}

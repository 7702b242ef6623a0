import { join } from 'node:path'
import type { Server, ServerWebSocket, WebSocketHandler } from 'bun'
import type { DevBuildChange } from './dev-build.ts'
import type { DevProblem, DevProblemSource } from './dev-problems.ts'

/** Paths of the dev-only reload channel; they exist only when a server runs from source in development. */
export const DEV_RELOAD_PATH = '/__dev/reload'
export const DEV_RELOAD_SCRIPT_PATH = '/__dev/reload.js'

/** What every open page is told, whole, on connect and on each change. */
export interface DevState {
  /** Pages rendered at another version reload: a new process, or a rebuilt script. Null while the server cannot load. */
  readonly version: string | null
  /** Bumped when only the stylesheet was rebuilt: pages swap it in place, keeping what was typed. */
  readonly css: number
  /** Empty when everything builds and type-checks; otherwise the overlay lists them. */
  readonly problems: readonly DevProblem[]
}

// Dev only, but still bounded. Pages share one connection per browser (dev-client.ts), so this is generous.
const MAX_SOCKETS = 64
const SOURCE_ORDER: readonly DevProblemSource[] = ['server', 'types', 'browser', 'css']

export interface DevReloadOptions {
  /** False for the stand-in server that shows why the real one cannot load: its pages must not reload to it. */
  isServerLoaded?: boolean
}

/**
 * The dev loop's channel to the open pages: a WebSocket (it does not count against the browser's six
 * HTTP/1.1 connections per host, which a page's own feeds need), carrying the whole DevState as JSON.
 */
export class DevReload {
  readonly #version: string | null
  #scripts = 0
  #css = 0
  readonly #problems = new Map<DevProblemSource, readonly DevProblem[]>()
  readonly #sockets = new Set<ServerWebSocket<undefined>>()
  #client: Promise<Response> | null = null
  #closed = false

  constructor({ isServerLoaded = true }: DevReloadOptions = {}) {
    this.#version = isServerLoaded ? crypto.randomUUID().slice(0, 8) : null
  }

  get state(): DevState {
    const problems = SOURCE_ORDER.flatMap((source) => this.#problems.get(source) ?? [])
    return { version: this.#version === null ? null : `${this.#version}.${this.#scripts}`, css: this.#css, problems }
  }

  /** The `<script>` for a page's `<head>`, carrying the version the page was rendered at. */
  scriptTag(): string {
    const { version, css } = this.state
    const query = new URLSearchParams({ v: version ?? '', css: String(css) })
    return `<script type="module" src="${DEV_RELOAD_SCRIPT_PATH}?${query.toString().replaceAll('&', '&amp;')}"></script>`
  }

  /** Replaces the problems of the given sources (an empty list clears them) and tells every page. */
  setProblems(sources: readonly DevProblemSource[], problems: readonly DevProblem[]): void {
    for (const source of sources)
      this.#problems.set(
        source,
        problems.filter((p) => p.source === source),
      )
    this.#broadcast()
  }

  /** After a web/ build: its problems, and a reload (script) or a stylesheet swap (style only). */
  afterBuild(problems: readonly DevProblem[], change: DevBuildChange): void {
    if (change.script) this.#scripts++
    else if (change.style) this.#css++
    this.setProblems(['browser', 'css'], problems)
  }

  /** The browser side, served through the shell like any asset. */
  get scriptRoutes(): Record<string, () => Promise<Response>> {
    return { [DEV_RELOAD_SCRIPT_PATH]: () => this.#script() }
  }

  /** The WebSocket upgrade, which Bun.serve must answer itself (a 101 is no response the shell can decorate). */
  get upgradeRoutes(): Record<string, (req: Request, server: Server<undefined>) => Response | undefined> {
    return { [DEV_RELOAD_PATH]: (req, server) => this.#upgrade(req, server) }
  }

  /** The handler Bun.serve needs for `server.upgrade` to work. */
  readonly websocket: WebSocketHandler<undefined> = {
    // A page that stops reading is dropped rather than buffered for.
    backpressureLimit: 1024 * 1024,
    closeOnBackpressureLimit: true,
    open: (ws) => {
      if (this.#closed || this.#sockets.size >= MAX_SOCKETS) {
        ws.close(1013, 'Too many dev reload connections')
        return
      }
      this.#sockets.add(ws)
      ws.send(JSON.stringify(this.state))
    },
    message: () => {}, // the channel only speaks to pages
    close: (ws) => {
      this.#sockets.delete(ws)
    },
  }

  close(): void {
    this.#closed = true
    for (const ws of this.#sockets) ws.close(1001, 'Server stopping')
    this.#sockets.clear()
  }

  #upgrade(req: Request, server: Server<undefined>): Response | undefined {
    if (this.#closed) return new Response('The dev reload channel is closed', { status: 503 })
    if (server.upgrade(req)) return undefined
    return new Response('Expected a WebSocket upgrade', { status: 426, headers: { Upgrade: 'websocket' } })
  }

  /** The browser side (dev-client.ts), bundled once per process on first use. */
  #script(): Promise<Response> {
    this.#client ??= Bun.build({
      entrypoints: [join(import.meta.dir, 'dev-client.ts')],
      target: 'browser',
      throw: false,
    }).then(async (result) => {
      const output = result.outputs[0]
      if (!result.success || !output) {
        const reasons = result.logs.map((log) => log.message).join('\n')
        return new Response(`Cannot build the dev client: ${reasons}`, { status: 500 })
      }
      const headers = { 'Content-Type': 'text/javascript;charset=utf-8', 'Cache-Control': 'no-store' }
      return new Response(await output.text(), { headers })
    })
    return this.#client.then((response) => response.clone())
  }

  #broadcast(): void {
    const text = JSON.stringify(this.state)
    for (const ws of this.#sockets) ws.send(text)
  }
}

import { existsSync, statSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import type { Server, WebSocketHandler } from 'bun'
import { SAMPLES_ASSET_DIR } from '../analytics/samples-dir.ts'
import { type Logger, loggerFor } from '../ops/log.ts'
import { DevAssetBuilder, entryAssetName, WEB_ENTRIES } from './assets/dev-build.ts'
import { DevReload } from './assets/dev-reload.ts'
import { DevTypeChecker } from './assets/dev-typecheck.ts'
import { type EmbeddedAssets, IMMUTABLE, serveEmbedded } from './assets/embedded.ts'
import { ASSETS_PREFIX, type GeneratedAsset } from './assets/generated.ts'
import { rawAssetTail, toAssetName } from './assets/safe-path.ts'
import { iconSprite } from './ui/icons.ts'

export type { EmbeddedAsset, EmbeddedAssets } from './assets/embedded.ts'
export type { GeneratedAsset } from './assets/generated.ts'
export { ASSETS_PREFIX }

/** Files made from code: from source served from memory, in the binary embedded by the build like the rest. */
export const GENERATED_ASSETS: readonly GeneratedAsset[] = [iconSprite]
const GENERATED_BY_NAME = new Map(GENERATED_ASSETS.map((asset) => [asset.served, asset]))

// Two modes. Built: the compiled binary's entry calls useEmbeddedAssets() before the server starts, and
// everything is served from the embedded, hashed files. Source (`bun run dev`, tests): web/ is bundled in
// memory on first use and assets/ is read from disk, always with `no-store`.
let embedded: EmbeddedAssets | null = null

const PROJECT_ROOT = resolve(import.meta.dir, '../../..')
let sourceRoot = PROJECT_ROOT

/** Switches to built mode; called once by the generated entry of the compiled binary (null switches back, for tests). */
export function useEmbeddedAssets(bundle: EmbeddedAssets | null): void {
  embedded = bundle
}

export function isBuiltMode(): boolean {
  return embedded !== null
}

const DEV_WEB_NAMES: ReadonlySet<string> = new Set(WEB_ENTRIES.map(entryAssetName))

/** The URL to put in HTML for a logical asset name (`app.css`, `vendor/datastar.js`): hashed when built. */
export function assetUrl(name: string): string {
  const served = embedded ? (embedded.manifest[name] ?? name) : name
  return `${ASSETS_PREFIX}${served.split('/').map(encodeURIComponent).join('/')}`
}

/** Whether a logical asset exists (e.g. the optional vendored Datastar client). */
export function hasAsset(name: string): boolean {
  if (embedded) return name in embedded.manifest
  if (DEV_WEB_NAMES.has(name)) return WEB_ENTRIES.some((e) => entryAssetName(e) === name && hasWebEntry(e))
  const safe = toAssetName(name)
  return safe !== null && isFile(join(sourceRoot, 'assets', safe))
}

/** An asset handler needs only the request: it fits the shell's route table and Bun.serve's alike. */
export type AssetRoute = (req: Request) => Response | Promise<Response>

export interface AssetServerOptions {
  /**
   * `development` watches web/, type-checks in the background and enables the reload channel with its error
   * overlay (never in built mode); `production` bundles web/ for production (Lit without its dev mode).
   */
  env: 'development' | 'production' | 'test'
  /** Project root holding web/ and assets/; defaults to this checkout. */
  rootDir?: string
  /** The server's logger, for web/ build and type errors. @default a logger for `env` */
  log?: Logger
}

export interface AssetServer {
  /** Routes the shell serves (GET, which serves HEAD): `/assets/*`, plus the dev reload client script when active. */
  readonly routes: Readonly<Record<string, { readonly GET: AssetRoute }>>
  /** Routes Bun.serve answers itself, outside the shell: the dev reload WebSocket upgrade when active. */
  readonly upgradeRoutes: Readonly<Record<string, (req: Request, server: Server<undefined>) => Response | undefined>>
  /** For Bun.serve's `websocket`: the dev reload channel's handler when active; else nothing upgrades, and this refuses. */
  readonly websocket: WebSocketHandler<undefined>
  handle(req: Request): Promise<Response>
  /** The dev reload `<script>` for a page's `<head>`; empty unless running from source in development. */
  scriptTag(): string
  close(): void
}

/** Bun.serve needs a WebSocket handler once any route may upgrade; outside development none does. */
const NO_SOCKETS: WebSocketHandler<undefined> = {
  open: (ws) => ws.close(1008, 'No WebSocket endpoint here'),
  message: () => {},
}

const NO_STORE = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } as const

function notFound(): Response {
  return new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain;charset=utf-8' } })
}

/** A generated file from source: its name is its content's hash, so it is as cacheable as in the binary. */
function serveGenerated(req: Request, asset: GeneratedAsset): Response {
  const headers = {
    'Content-Type': asset.type,
    'Cache-Control': IMMUTABLE,
    ETag: asset.etag,
    'X-Content-Type-Options': 'nosniff',
  }
  if (req.headers.get('if-none-match') === asset.etag) return new Response(null, { status: 304, headers })
  return new Response(req.method === 'HEAD' ? null : asset.body, { headers })
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

function hasWebEntry(entry: string): boolean {
  return existsSync(join(sourceRoot, 'web', entry))
}

/** Serves `/assets/*` in either mode; in development from source it also runs the rebuild-and-reload loop. */
export function createAssetServer({
  env,
  rootDir = PROJECT_ROOT,
  log = loggerFor(env),
}: AssetServerOptions): AssetServer {
  const bundle = embedded
  sourceRoot = rootDir
  const assetsDir = resolve(rootDir, 'assets')
  const reload = !bundle && env === 'development' ? new DevReload() : null
  const typecheck = reload
    ? new DevTypeChecker(rootDir, { log, onResult: ({ problems }) => reload.setProblems(['types'], problems) })
    : null
  const builder = bundle
    ? null
    : new DevAssetBuilder(join(rootDir, 'web'), {
        production: env === 'production',
        log,
        onBuild: (build, change) => {
          reload?.afterBuild(build.problems, change)
          if (!change.style || change.script) typecheck?.request() // a stylesheet alone cannot break types
        },
      })
  if (reload && builder) {
    builder.watch()
    typecheck?.request()
  }

  async function serveSource(req: Request, name: string): Promise<Response> {
    // The analytics sample files are DuckDB's input, never web content (the binary does not serve them either).
    if (name.split('/')[0]?.toLowerCase() === SAMPLES_ASSET_DIR) return notFound()
    const onDisk = resolve(assetsDir, name)
    // toAssetName already refused traversal; the prefix check is the belt to its braces.
    if (onDisk.startsWith(assetsDir + sep) && isFile(onDisk)) {
      return new Response(req.method === 'HEAD' ? null : Bun.file(onDisk), { headers: NO_STORE })
    }
    if (!builder) return notFound()
    const build = await builder.current()
    const file = build.files.get(name)
    if (file)
      return new Response(req.method === 'HEAD' ? null : file.body, {
        headers: { ...NO_STORE, 'Content-Type': file.type },
      })
    if (build.error && DEV_WEB_NAMES.has(name)) {
      return new Response(`Cannot build web/: ${build.error}`, { status: 500, headers: NO_STORE })
    }
    return notFound()
  }

  async function handle(req: Request): Promise<Response> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return new Response('Method not allowed', { status: 405, headers: { Allow: 'GET, HEAD' } })
    }
    const tail = rawAssetTail(req.url, ASSETS_PREFIX)
    const name = tail === null ? null : toAssetName(tail)
    if (name === null) return notFound()
    if (bundle) {
      const file = bundle.files[name]
      return file ? serveEmbedded(req, file) : notFound()
    }
    const generated = GENERATED_BY_NAME.get(name)
    return generated ? serveGenerated(req, generated) : serveSource(req, name)
  }

  const routes: Record<string, { GET: AssetRoute }> = { [`${ASSETS_PREFIX}*`]: { GET: handle } }
  for (const [path, serve] of Object.entries(reload?.scriptRoutes ?? {})) routes[path] = { GET: serve }

  let closed = false
  return {
    routes,
    upgradeRoutes: reload?.upgradeRoutes ?? {},
    websocket: reload?.websocket ?? NO_SOCKETS,
    handle,
    scriptTag: () => (reload && !closed ? reload.scriptTag() : ''),
    close() {
      closed = true
      builder?.close()
      typecheck?.close()
      reload?.close()
    },
  }
}

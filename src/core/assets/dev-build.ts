import { existsSync, type FSWatcher, watch } from 'node:fs'
import { join } from 'node:path'

/** A built file held in memory; dev builds never touch the disk, so parallel servers and tests cannot race. */
export interface DevFile {
  readonly body: Blob
  readonly type: string
}

export interface DevBuild {
  readonly files: ReadonlyMap<string, DevFile>
  /** Set when the last build failed; served as a 500 so the broken file is obvious in the browser. */
  readonly error: string | null
}

export interface DevBuilderOptions {
  /** Called after each rebuild caused by a file change (the dev reload endpoint listens). */
  onRebuild?: () => void
}

/** The browser entries every Ironstar app has: `web/app.ts` and `web/styles/app.css`. */
export const WEB_ENTRIES = ['app.ts', 'styles/app.css'] as const

/** Logical asset name of an entry: `styles/app.css` → `app.css`, `app.ts` → `app.js`. */
export function entryAssetName(entry: string): string {
  const base = entry.slice(entry.lastIndexOf('/') + 1)
  return base.replace(/\.(ts|tsx|js)$/, '.js')
}

async function buildOnce(webDir: string): Promise<DevBuild> {
  const files = new Map<string, DevFile>()
  const errors: string[] = []
  // Separate builds per entry: if app.ts imports CSS, its CSS output would collide with the CSS entry's name.
  await Promise.all(
    WEB_ENTRIES.map(async (entry) => {
      const path = join(webDir, entry)
      if (!existsSync(path)) return
      try {
        const result = await Bun.build({
          entrypoints: [path],
          target: 'browser',
          sourcemap: 'inline',
          naming: { entry: '[name].[ext]', chunk: '[name]-[hash].[ext]', asset: '[name]-[hash].[ext]' },
          throw: false,
        })
        if (!result.success) errors.push(...result.logs.map((log) => `${entry}: ${log.message}`))
        for (const output of result.outputs) {
          const name = output.path.replace(/^\.\//, '')
          const type = output.type.split(';')[0] ?? 'application/octet-stream'
          files.set(name, { body: new Blob([await output.arrayBuffer()], { type: output.type }), type })
        }
      } catch (error) {
        errors.push(`${entry}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }),
  )
  return { files, error: errors.length > 0 ? errors.join('\n') : null }
}

/** Builds `web/` on demand (first asset request), and in development rebuilds whenever a file under it changes. */
export class DevAssetBuilder {
  readonly #webDir: string
  readonly #onRebuild: (() => void) | undefined
  #current: Promise<DevBuild> | null = null
  #watcher: FSWatcher | null = null
  #timer: ReturnType<typeof setTimeout> | null = null

  constructor(webDir: string, { onRebuild }: DevBuilderOptions = {}) {
    this.#webDir = webDir
    this.#onRebuild = onRebuild
  }

  /** The latest build, started lazily so servers that never serve an asset (most tests) never bundle. */
  current(): Promise<DevBuild> {
    this.#current ??= buildOnce(this.#webDir)
    return this.#current
  }

  /** Watches web/ recursively; editors save in bursts, so rebuilds are debounced. */
  watch(): void {
    if (this.#watcher || !existsSync(this.#webDir)) return
    this.#watcher = watch(this.#webDir, { recursive: true }, () => {
      if (this.#timer) clearTimeout(this.#timer)
      this.#timer = setTimeout(() => {
        this.#timer = null
        this.#current = buildOnce(this.#webDir)
        void this.#current.then(() => this.#onRebuild?.()) // reload listeners are notified after the build settles
      }, 60)
    })
  }

  close(): void {
    this.#watcher?.close()
    this.#watcher = null
    if (this.#timer) clearTimeout(this.#timer)
  }
}

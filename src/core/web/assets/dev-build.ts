import { existsSync, type FSWatcher, watch } from 'node:fs'
import { dirname, join } from 'node:path'
import { type Logger, loggerFor } from '../../ops/log.ts'
import { type DevProblem, formatProblem, problemsFromBuildLogs, problemsFromError } from './dev-problems.ts'

/** A built file held in memory; dev builds never touch the disk, so parallel servers and tests cannot race. */
export interface DevFile {
  readonly body: Blob
  readonly type: string
}

export interface DevBuild {
  /** The last good output of every entry: a broken save keeps the page styled and scripted as it was. */
  readonly files: ReadonlyMap<string, DevFile>
  /** Set when an entry has never built; served as a 500 so the broken file is obvious in the browser. */
  readonly error: string | null
  /** What the latest build of each entry reported; empty when every entry built. */
  readonly problems: readonly DevProblem[]
}

/** Which kinds of output a rebuild changed: a script needs a page reload, a stylesheet can be swapped in place. */
export interface DevBuildChange {
  readonly script: boolean
  readonly style: boolean
}

export interface DevBuilderOptions {
  /** Bundle for production: Lit and friends drop their dev-mode code (and its console warning). */
  production?: boolean
  /** Called after each build, the first included, with what it changed (the dev reload channel listens). */
  onBuild?: (build: DevBuild, change: DevBuildChange) => void
  /** Where web/ errors are reported. @default a development logger */
  log?: Logger
}

/** A slice's file that goes into the browser bundle: its CSS, or anything under its `web/` folder. */
export function isSliceBrowserFile(pathInFeatures: string): boolean {
  const parts = pathInFeatures.split(/[\\/]/)
  return pathInFeatures.endsWith('.css') || parts.slice(1, -1).includes('web')
}

/** The browser entries every Ironstar app has: `web/app.ts` and `web/styles/app.css`. */
export const WEB_ENTRIES = ['app.ts', 'styles/app.css'] as const

/** Logical asset name of an entry: `styles/app.css` → `app.css`, `app.ts` → `app.js`. */
export function entryAssetName(entry: string): string {
  const base = entry.slice(entry.lastIndexOf('/') + 1)
  return base.replace(/\.(ts|tsx|js)$/, '.js')
}

/** Export conditions follow NODE_ENV in Bun's bundler: defining it is what selects Lit's production build. */
export function browserDefines(production: boolean): Record<string, string> | undefined {
  return production ? { 'process.env.NODE_ENV': '"production"' } : undefined
}

interface EntryOutput {
  readonly files: Map<string, DevFile> | null
  /** Identifies the bytes, to tell a real change from a save that changed nothing. */
  readonly digest: string
  readonly problems: DevProblem[]
}

async function buildEntry(webDir: string, entry: string, production: boolean): Promise<EntryOutput> {
  const source = entry.endsWith('.css') ? 'css' : 'browser'
  const root = dirname(webDir)
  try {
    const result = await Bun.build({
      entrypoints: [join(webDir, entry)],
      target: 'browser',
      sourcemap: 'inline',
      define: browserDefines(production),
      naming: { entry: '[name].[ext]', chunk: '[name]-[hash].[ext]', asset: '[name]-[hash].[ext]' },
      throw: false,
    })
    if (!result.success) return { files: null, digest: '', problems: problemsFromBuildLogs(source, root, result.logs) }
    const files = new Map<string, DevFile>()
    const hasher = new Bun.CryptoHasher('sha256')
    for (const output of result.outputs) {
      const bytes = await output.arrayBuffer()
      hasher.update(bytes)
      const type = output.type.split(';')[0] ?? 'application/octet-stream'
      files.set(output.path.replace(/^\.\//, ''), { body: new Blob([bytes], { type: output.type }), type })
    }
    return { files, digest: hasher.digest('hex'), problems: [] }
  } catch (error) {
    return { files: null, digest: '', problems: problemsFromError(source, root, error) }
  }
}

/** Builds `web/` on demand (first asset request), and in development rebuilds whenever a file under it changes. */
export class DevAssetBuilder {
  readonly #webDir: string
  readonly #production: boolean
  readonly #onBuild: DevBuilderOptions['onBuild']
  readonly #log: Logger
  /** Per entry, the last good output and the latest problems; separate builds so one broken entry spares the other. */
  readonly #entries = new Map<string, EntryOutput>()
  #current: Promise<DevBuild> | null = null
  readonly #watchers: FSWatcher[] = []
  #timer: ReturnType<typeof setTimeout> | null = null

  constructor(webDir: string, { production = false, onBuild, log = loggerFor('development') }: DevBuilderOptions = {}) {
    this.#webDir = webDir
    this.#log = log
    this.#production = production
    this.#onBuild = onBuild
  }

  /** The latest build, started lazily so servers that never serve an asset (most tests) never bundle. */
  current(): Promise<DevBuild> {
    this.#current ??= this.#buildAll()
    return this.#current
  }

  /**
   * Watches web/ recursively, and the slices' browser files (`src/features/<slice>/web/`, a slice's
   * CSS) that web/ imports; builds once now, so a broken file shows at start. Saves come in bursts.
   */
  watch(): void {
    if (this.#watchers.length > 0 || !existsSync(this.#webDir)) return
    void this.current()
    const schedule = () => {
      if (this.#timer) clearTimeout(this.#timer)
      this.#timer = setTimeout(() => this.#rebuild(), 60)
    }
    this.#watchers.push(watch(this.#webDir, { recursive: true }, schedule))
    const features = join(dirname(this.#webDir), 'src', 'features')
    if (!existsSync(features)) return
    this.#watchers.push(
      watch(features, { recursive: true }, (_event, file) => {
        // Server files restart the process through bun --watch; only browser files need a new bundle.
        if (file && isSliceBrowserFile(file)) schedule()
      }),
    )
  }

  close(): void {
    for (const watcher of this.#watchers.splice(0)) watcher.close()
    if (this.#timer) clearTimeout(this.#timer)
  }

  #rebuild(): void {
    this.#timer = null
    // One build at a time, in order: a save during a build is built after it, never raced against it.
    this.#current = (this.#current ?? Promise.resolve()).then(() => this.#buildAll())
  }

  async #buildAll(): Promise<DevBuild> {
    const entries = WEB_ENTRIES.filter((entry) => existsSync(join(this.#webDir, entry)))
    const outputs = await Promise.all(entries.map((entry) => buildEntry(this.#webDir, entry, this.#production)))
    const change = { script: false, style: false }
    entries.forEach((entry, i) => {
      const output = outputs[i] as EntryOutput // one output per entry, in order
      const before = this.#entries.get(entry)
      this.#report(entry, before?.problems ?? [], output.problems)
      // The first build changes nothing a page has seen: pages are told only of later ones.
      const changed = before !== undefined && output.files !== null && output.digest !== before.digest
      if (changed && entry.endsWith('.css')) change.style = true
      else if (changed) change.script = true
      // A failed build keeps the last good files: the page keeps working while the overlay shows the error.
      this.#entries.set(
        entry,
        output.files ? output : { ...output, files: before?.files ?? null, digest: before?.digest ?? '' },
      )
    })
    const build = this.#snapshot()
    this.#onBuild?.(build, change)
    return build
  }

  #snapshot(): DevBuild {
    const files = new Map<string, DevFile>()
    const problems: DevProblem[] = []
    const unbuilt: string[] = []
    for (const [entry, output] of this.#entries) {
      for (const [name, file] of output.files ?? []) files.set(name, file)
      problems.push(...output.problems)
      if (!output.files) unbuilt.push(...output.problems.map((p) => `${entry}: ${formatProblem(p)}`))
    }
    return { files, error: unbuilt.length > 0 ? unbuilt.join('\n') : null, problems }
  }

  /** The terminal hears of web/ errors too, once when they appear and once when they are fixed. */
  #report(entry: string, before: readonly DevProblem[], after: readonly DevProblem[]): void {
    const text = (problems: readonly DevProblem[]) => problems.map(formatProblem).join('\n  ')
    if (after.length > 0 && text(after) !== text(before))
      this.#log.error(`Cannot build web/${entry}:\n  ${text(after)}`)
    else if (after.length === 0 && before.length > 0) this.#log.info(`Built web/${entry} again: its errors are fixed`)
  }
}

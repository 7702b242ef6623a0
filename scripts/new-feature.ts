/**
 * Scaffolds a feature slice: `bun run new:feature <name>` writes src/features/<name>/ (domain,
 * projection, views, routes, index), its tests under test/features/<name>/, and registers the
 * slice in src/app.ts. The new slice builds, serves /<name>, passes its own tests, and passes
 * `bun run lint` and `bun run typecheck` as written: the script formats what it wrote with the
 * project's Biome (line breaks and import order depend on the name's length and spelling).
 *
 *   bun run new:feature shopping-list [--root <project dir>]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { type FeatureNames, featureNames } from './new-feature/names.ts'
import { sliceFiles } from './new-feature/templates.ts'

/** Adds the import and the one line in the `slices` array of src/app.ts. */
export function registerSlice(appSource: string, n: FeatureNames): string {
  const importLine = `import { ${n.camel} } from './features/${n.kebab}/index.ts'`
  if (appSource.includes(importLine)) return appSource
  const lines = appSource.split('\n')
  const lastFeatureImport = lines.findLastIndex((line) => line.startsWith('import ') && line.includes("'./features/"))
  const lastImport = lines.findLastIndex((line) => line.startsWith('import '))
  lines.splice((lastFeatureImport >= 0 ? lastFeatureImport : lastImport) + 1, 0, importLine)
  const start = lines.findIndex((line) => /export const slices\b/.test(line))
  const end = lines.findIndex((line, i) => i > start && /^\]/.test(line))
  if (start < 0 || end < 0)
    throw new Error('Cannot register slice in src/app.ts: no `export const slices = [...]` list found')
  lines.splice(end, 0, `  ${n.camel},`)
  return lines.join('\n')
}

export interface ScaffoldResult {
  readonly written: readonly string[]
  /** Why the written files could not be formatted (Biome missing or failing), if they could not. */
  readonly formatError?: string
}

/** Runs `biome check --write` (format, sort imports, safe fixes) on the given project files. */
export function formatFiles(root: string, paths: readonly string[]): string | undefined {
  const biome = join(root, 'node_modules/.bin/biome')
  if (!existsSync(biome)) return 'Biome is not installed (run `bun install`), so the files are not formatted'
  const result = Bun.spawnSync([biome, 'check', '--write', '--no-errors-on-unmatched', ...paths], {
    cwd: root,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  if (result.exitCode === 0) return undefined
  return `biome check --write failed:\n${result.stderr.toString()}${result.stdout.toString()}`.trim()
}

export function scaffold(name: string, root: string): ScaffoldResult {
  const n = featureNames(name)
  const folder = join(root, 'src/features', n.kebab)
  if (existsSync(folder))
    throw new Error(`Cannot scaffold feature "${n.kebab}": ${join('src/features', n.kebab)} exists`)
  const appPath = join(root, 'src/app.ts')
  const app = registerSlice(readFileSync(appPath, 'utf8'), n)
  const written: string[] = []
  for (const [path, content] of Object.entries(sliceFiles(n))) {
    const target = join(root, path)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, content, { flag: 'wx' })
    written.push(path)
  }
  writeFileSync(appPath, app)
  written.push('src/app.ts')
  const formatError = formatFiles(root, written)
  return formatError ? { written, formatError } : { written }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { root: { type: 'string' } } })
  const [name] = positionals
  if (!name) {
    console.error('Usage: bun run new:feature <kebab-case-name>')
    process.exit(2)
  }
  try {
    const { written, formatError } = scaffold(name, resolve(values.root ?? join(import.meta.dir, '..')))
    for (const path of written) console.log(`wrote ${path}`)
    if (formatError) console.warn(`\n${formatError}\nThen run: bun run fix`)
    console.log(`\nNext: bun test test/features/${name} && bun run dev, then open /${name}`)
  } catch (error) {
    console.error((error as Error).message)
    process.exit(1)
  }
}

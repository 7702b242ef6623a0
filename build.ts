#!/usr/bin/env bun
// `bun run build`: bundles web/ (hashed, minified, source maps, manifest.json, .br/.gz siblings), copies
// assets/, then compiles one self-contained executable (assets, migrations and DuckDB inside) to dist/ironstar.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { duckdbPlugin } from './scripts/build/duckdb-plugin.ts'
import { writeEmbeddingModule, writeEntryModule } from './scripts/build/embed.ts'
import { buildWeb } from './scripts/build/web.ts'
import { describeDatastar, inspectVendoredDatastar } from './src/core/web/datastar-pin.ts'

const USAGE = `Usage: bun build.ts [--outfile <path>] [--work-dir <dir>] [--web-only]

  --outfile <path>   where to write the executable (default dist/ironstar)
  --work-dir <dir>   where the bundled web files and generated modules go (default .build/release)
  --web-only         bundle web/ and assets/ into <work-dir>/public and stop`

interface BuildArgs {
  outfile: string
  workDir: string
  isWebOnly: boolean
}

function parseArgs(argv: readonly string[], root: string): BuildArgs {
  const args: BuildArgs = {
    outfile: join(root, 'dist/ironstar'),
    workDir: join(root, '.build/release'),
    isWebOnly: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--web-only') args.isWebOnly = true
    else if (arg === '--outfile' && argv[i + 1]) args.outfile = resolve(argv[++i] as string)
    else if (arg === '--work-dir' && argv[i + 1]) args.workDir = resolve(argv[++i] as string)
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE)
      process.exit(0)
    } else {
      console.error(`Cannot build: unknown argument ${JSON.stringify(arg)}\n\n${USAGE}`)
      process.exit(2)
    }
  }
  return args
}

function gitCommit(root: string): string | null {
  const result = Bun.spawnSync(['git', 'rev-parse', '--short=12', 'HEAD'], { cwd: root, stderr: 'ignore' })
  return result.success ? result.stdout.toString().trim() || null : null
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`
}

async function main(): Promise<void> {
  const root = import.meta.dir
  const args = parseArgs(process.argv.slice(2), root)
  const started = performance.now()
  const { workDir } = args
  const publicDir = join(workDir, 'public')
  // The vendored client is embedded only as the pinned release or as recorded by vendor:datastar --unpinned.
  const datastar = inspectVendoredDatastar(join(root, 'assets'))
  if (datastar.kind === 'unchecked') {
    console.error(`Cannot embed the Datastar client: ${describeDatastar(datastar)}`)
    process.exit(1)
  }
  console.log(`Datastar: ${describeDatastar(datastar)}`)
  rmSync(workDir, { recursive: true, force: true })
  mkdirSync(publicDir, { recursive: true })

  const web = await buildWeb(root, publicDir)
  for (const [logical, served] of Object.entries(web.manifest)) console.log(`  ${logical} → /assets/${served}`)
  console.log(`Bundled web/ and assets/: ${web.files.length} files in ${relative(root, publicDir)}`)
  if (args.isWebOnly) return

  writeEmbeddingModule(workDir, root, web)
  const duckdb = duckdbPlugin(root, workDir)
  const samplesModule = join(root, 'src/core/analytics/samples-dir.ts')
  const entry = writeEntryModule(workDir, root, {
    commit: gitCommit(root),
    builtAt: new Date().toISOString(),
    datastar,
    samplesModule: existsSync(samplesModule) ? samplesModule : null,
  })
  mkdirSync(join(args.outfile, '..'), { recursive: true })
  const result = await Bun.build({
    entrypoints: [entry],
    target: 'bun',
    minify: true,
    // Compiled binaries embed the map, so stack traces name source lines.
    sourcemap: 'linked',
    plugins: [duckdb.plugin],
    // A deployed binary must not change behaviour because of a bunfig.toml or .env in its working directory.
    compile: { outfile: args.outfile, autoloadBunfig: false, autoloadDotenv: false },
    throw: false,
  })
  if (!result.success) {
    for (const log of result.logs) console.error(log)
    throw new Error('Cannot compile the server: see the messages above')
  }
  // The map is embedded in the executable already; the copy Bun writes beside it would only be a second file.
  rmSync(`${args.outfile}.map`, { force: true })
  const size = statSync(args.outfile).size
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`Embedded DuckDB (${megabytes(duckdb.bytes)}, cache key ${duckdb.key})`)
  console.log(`Wrote ${relative(process.cwd(), args.outfile)} (${megabytes(size)}) in ${seconds} s`)
}

await main()

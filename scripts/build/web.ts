import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, extname, join, relative } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { browserDefines } from '../../src/core/web/assets/dev-build.ts'
import { GENERATED_ASSETS } from '../../src/core/web/assets.ts'

/** One servable file on disk, as the generated embedding module will describe it. */
export interface BuiltFile {
  readonly served: string
  readonly diskPath: string
  readonly type: string
  readonly etag: string
  readonly immutable: boolean
  readonly br?: string
  readonly gz?: string
}

export interface WebBuild {
  readonly manifest: Record<string, string>
  readonly files: BuiltFile[]
}

const ENTRIES = { 'app.js': 'web/app.ts', 'app.css': 'web/styles/app.css' } as const
const COMPRESSIBLE = /^(text\/|application\/(javascript|json|manifest\+json|xml)|image\/svg\+xml)/
// Below this, the compressed file plus its headers is no smaller than the original.
const MIN_COMPRESS_BYTES = 256

function sha256(bytes: Uint8Array): string {
  return new Bun.CryptoHasher('sha256').update(bytes).digest('hex')
}

function contentType(path: string): string {
  return Bun.file(path).type || 'application/octet-stream'
}

/** Writes `.br` (quality 11) and `.gz` (level 9) siblings when they are smaller; the server picks by Accept-Encoding. */
function compress(path: string, type: string): Pick<BuiltFile, 'br' | 'gz'> {
  const bytes = readFileSync(path)
  if (!COMPRESSIBLE.test(type) || bytes.length < MIN_COMPRESS_BYTES) return {}
  const result: { br?: string; gz?: string } = {}
  const br = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  })
  if (br.length < bytes.length) {
    writeFileSync(`${path}.br`, br)
    result.br = `${path}.br`
  }
  const gz = gzipSync(bytes, { level: 9 })
  if (gz.length < bytes.length) {
    writeFileSync(`${path}.gz`, gz)
    result.gz = `${path}.gz`
  }
  return result
}

function describe(outDir: string, diskPath: string, immutable: boolean): BuiltFile {
  const type = contentType(diskPath)
  const etag = `"${sha256(readFileSync(diskPath)).slice(0, 20)}"`
  return { served: relative(outDir, diskPath), diskPath, type, etag, immutable, ...compress(diskPath, type) }
}

async function bundleEntries(root: string, outDir: string, build: WebBuild): Promise<void> {
  for (const [logical, entry] of Object.entries(ENTRIES)) {
    // One build per entry: a CSS file imported by app.ts would otherwise collide with the CSS entry.
    const result = await Bun.build({
      entrypoints: [join(root, entry)],
      outdir: outDir,
      target: 'browser',
      minify: true,
      sourcemap: 'linked',
      define: browserDefines(true), // Lit's production build: no dev-mode checks, no console warning
      naming: { entry: '[name]-[hash].[ext]', chunk: '[name]-[hash].[ext]', asset: '[name]-[hash].[ext]' },
      throw: false,
    })
    if (!result.success) {
      const reasons = result.logs.map((log) => String(log.message ?? log)).join('\n')
      throw new Error(`Cannot bundle ${entry}: ${reasons}`)
    }
    const ext = extname(logical)
    for (const output of result.outputs) {
      const file = describe(outDir, output.path, true)
      build.files.push(file)
      // A CSS entry comes out as kind 'asset', not 'entry-point': match the entry by its name and extension.
      const isEntry = output.kind !== 'sourcemap' && basename(output.path).startsWith(`${basename(logical, ext)}-`)
      if (isEntry && extname(output.path) === ext && !build.manifest[logical]) build.manifest[logical] = file.served
    }
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.')) return []
    const path = join(dir, entry.name)
    return entry.isDirectory() ? walk(path) : [path]
  })
}

/** Copies assets/ under content-hashed names, and keeps each logical name as a `no-cache` alias. */
function copyAssets(root: string, outDir: string, build: WebBuild): void {
  const assetsDir = join(root, 'assets')
  if (!statSync(assetsDir, { throwIfNoEntry: false })?.isDirectory()) return
  for (const source of walk(assetsDir)) {
    const logical = relative(assetsDir, source)
    const ext = extname(logical)
    const hash = sha256(readFileSync(source)).slice(0, 8)
    const hashed = join(dirname(logical), `${basename(logical, ext)}-${hash}${ext}`).replace(/^\.\//, '')
    const target = join(outDir, hashed)
    mkdirSync(dirname(target), { recursive: true })
    copyFileSync(source, target)
    const file = describe(outDir, target, true)
    build.files.push(file, { ...file, served: logical, immutable: false })
    build.manifest[logical] = hashed
  }
}

/** Writes the files the server makes from code (the icon sprite) under the hashed names the server's pages use. */
function writeGenerated(outDir: string, build: WebBuild): void {
  for (const asset of GENERATED_ASSETS) {
    const target = join(outDir, asset.served)
    writeFileSync(target, asset.body)
    build.files.push(describe(outDir, target, true))
    build.manifest[asset.logical] = asset.served
  }
}

/** Bundles web/ and copies assets/ into outDir with hashed names, compressed siblings and a manifest.json. */
export async function buildWeb(root: string, outDir: string): Promise<WebBuild> {
  const build: WebBuild = { manifest: {}, files: [] }
  await bundleEntries(root, outDir, build)
  copyAssets(root, outDir, build)
  writeGenerated(outDir, build)
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(build.manifest, null, 2)}\n`)
  return build
}

import { afterAll, describe, expect, it } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { iconSprite } from '../../src/core/web/ui/icons.ts'

// `bun build.ts --web-only`: the asset half of the build, without the (slow) compile.
const ROOT = join(import.meta.dir, '../..')
const work = mkdtempSync(join(tmpdir(), 'ironstar-web-build-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('build.ts --web-only', () => {
  const built = Bun.spawnSync(['bun', 'build.ts', '--web-only', '--work-dir', work], { cwd: ROOT, stderr: 'pipe' })
  const publicDir = join(work, 'public')

  it('bundles the entries under content-hashed names listed in manifest.json', () => {
    expect(built.stderr.toString()).toBe('')
    expect(built.exitCode).toBe(0)
    const manifest = JSON.parse(readFileSync(join(publicDir, 'manifest.json'), 'utf8')) as Record<string, string>
    expect(manifest['app.js']).toMatch(/^app-[a-z0-9]+\.js$/)
    expect(manifest['app.css']).toMatch(/^app-[a-z0-9]+\.css$/)
    for (const served of Object.values(manifest)) expect(existsSync(join(publicDir, served))).toBe(true)
  })

  it('minifies the script and links its source map', () => {
    const manifest = JSON.parse(readFileSync(join(publicDir, 'manifest.json'), 'utf8')) as Record<string, string>
    const js = readFileSync(join(publicDir, manifest['app.js'] as string), 'utf8')
    expect(js).toContain(`//# sourceMappingURL=${manifest['app.js']}.map`)
    expect(existsSync(join(publicDir, `${manifest['app.js']}.map`))).toBe(true)
    expect(js.length / js.split('\n').length).toBeGreaterThan(1_000) // minified: few, very long lines
  })

  it('writes brotli and gzip siblings that decompress to the original bytes', () => {
    const manifest = JSON.parse(readFileSync(join(publicDir, 'manifest.json'), 'utf8')) as Record<string, string>
    const css = join(publicDir, manifest['app.css'] as string)
    const original = readFileSync(css)
    expect(brotliDecompressSync(readFileSync(`${css}.br`)).equals(original)).toBe(true)
    expect(gunzipSync(readFileSync(`${css}.gz`)).equals(original)).toBe(true)
    expect(readFileSync(`${css}.br`).length).toBeLessThan(original.length)
  })

  it('copies assets/ under hashed names too', () => {
    const manifest = JSON.parse(readFileSync(join(publicDir, 'manifest.json'), 'utf8')) as Record<string, string>
    const copied = Object.entries(manifest).filter(([logical]) => !['app.js', 'app.css', 'icons.svg'].includes(logical))
    for (const [logical, served] of copied) {
      expect(served).toMatch(/-[0-9a-f]{8}\.[a-z0-9]+$/)
      expect(readFileSync(join(publicDir, served)).equals(readFileSync(join(ROOT, 'assets', logical)))).toBe(true)
    }
  })

  it('writes the icon sprite under the very name the pages reference, with compressed siblings', () => {
    const manifest = JSON.parse(readFileSync(join(publicDir, 'manifest.json'), 'utf8')) as Record<string, string>
    expect(manifest['icons.svg']).toBe(iconSprite.served)
    const sprite = join(publicDir, iconSprite.served)
    expect(readFileSync(sprite, 'utf8')).toBe(iconSprite.body)
    expect(brotliDecompressSync(readFileSync(`${sprite}.br`)).toString()).toBe(iconSprite.body)
  })
})

describe('the production bundle', () => {
  it("carries Lit's production build: none of its dev-mode code or warning", () => {
    const publicDir = join(work, 'public')
    const manifest = JSON.parse(readFileSync(join(publicDir, 'manifest.json'), 'utf8')) as Record<string, string>
    const js = readFileSync(join(publicDir, manifest['app.js'] as string), 'utf8')
    const map = JSON.parse(readFileSync(join(publicDir, `${manifest['app.js']}.map`), 'utf8')) as { sources: string[] }
    const lit = map.sources.filter((source) => /node_modules\/(lit|lit-html|lit-element|@lit\/[^/]+)\//.test(source))
    expect(lit.length).toBeGreaterThan(0)
    expect(lit.filter((source) => source.includes('/development/'))).toEqual([])
    expect(js).not.toContain('Lit is in dev mode')
  })
})

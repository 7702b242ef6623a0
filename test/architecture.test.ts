import { describe, expect, it } from 'bun:test'
import { dirname, join, relative, resolve } from 'node:path'
import { Glob } from 'bun'

const ROOT = join(import.meta.dir, '..')
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

/** Every relative or bare import of a source file, resolved against the repository root. */
function importsOf(file: string, source: string): string[] {
  const found: string[] = []
  for (const match of source.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2]
    if (!spec) continue
    found.push(spec.startsWith('.') ? relative(ROOT, resolve(dirname(join(ROOT, file)), spec)) : spec)
  }
  return found
}

async function sources(pattern: string): Promise<[string, string[]][]> {
  const files = [...new Glob(pattern).scanSync({ cwd: ROOT })]
  return Promise.all(
    files.map(async (f) => [f, importsOf(f, await Bun.file(join(ROOT, f)).text())] as [string, string[]]),
  )
}

describe('module boundaries', () => {
  it('src/core never imports a feature', async () => {
    const offenders = (await sources('src/core/**/*.ts')).flatMap(([file, imports]) =>
      imports.filter((i) => i.startsWith('src/features')).map((i) => `${file} → ${i}`),
    )
    expect(offenders).toEqual([])
  })

  it('a slice never imports another slice', async () => {
    const offenders = (await sources('src/features/**/*.ts')).flatMap(([file, imports]) => {
      const own = file.split('/')[2]
      return imports
        .filter((i) => i.startsWith('src/features/') && i.split('/')[2] !== own)
        .map((i) => `${file} → ${i}`)
    })
    expect(offenders).toEqual([])
  })

  it('domain.ts files import nothing from http, html, storage or bun:*', async () => {
    const forbidden = /^(bun:|node:|src\/core\/(web\/(http|html|session|sse|assets)|eventsourcing\/(store|database)))/
    const offenders = (await sources('src/features/**/domain.ts')).flatMap(([file, imports]) =>
      imports.filter((i) => forbidden.test(i)).map((i) => `${file} → ${i}`),
    )
    expect(offenders).toEqual([])
  })

  it('web/ imports from src/ only the browser files slices keep in their own web/ folder', async () => {
    const sliceBrowserFile = /^src\/features\/[^/]+\/web\//
    const offenders = (await sources('web/**/*.ts')).flatMap(([file, imports]) =>
      imports.filter((i) => i.startsWith('src/') && !sliceBrowserFile.test(i)).map((i) => `${file} → ${i}`),
    )
    expect(offenders).toEqual([])
  })

  it("a slice's browser files import nothing of the server", async () => {
    const offenders = (await sources('src/features/*/web/**/*.ts')).flatMap(([file, imports]) => {
      const own = `${file.split('/').slice(0, 4).join('/')}/`
      return imports.filter((i) => i.startsWith('src/') && !i.startsWith(own)).map((i) => `${file} → ${i}`)
    })
    expect(offenders).toEqual([])
  })
})

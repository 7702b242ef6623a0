import { afterAll, describe, expect, it } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DevTypeChecker, type TypeCheckResult } from '../../../../src/core/web/assets/dev-typecheck.ts'

const ROOT = join(import.meta.dir, '../../../..')
const root = mkdtempSync(join(tmpdir(), 'ironstar-typecheck-'))
mkdirSync(join(root, 'src'))
symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'))
writeFileSync(
  join(root, 'tsconfig.json'),
  JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, types: [] }, include: ['src'] }),
)
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A checker over the temporary project whose results arrive in order. */
function checker(): { checker: DevTypeChecker; next(): Promise<TypeCheckResult> } {
  const results: TypeCheckResult[] = []
  let wake: (() => void) | null = null
  const typecheck = new DevTypeChecker(root, {
    onResult: (result) => {
      results.push(result)
      wake?.()
    },
  })
  return {
    checker: typecheck,
    async next() {
      while (results.length === 0) await new Promise<void>((resolve) => (wake = resolve))
      return results.shift() as TypeCheckResult
    },
  }
}

describe("the dev type check: the project's own tsc in the background", () => {
  it('reports each error with file, line and code, continuation lines included; clears on the fix', async () => {
    writeFileSync(
      join(root, 'src/a.ts'),
      'type X = { a: { b: string } }\nconst o = { a: { b: 1 } }\nexport const x: X = o\nexport const n: number = "1"\n',
    )
    const { checker: typecheck, next } = checker()
    expect(typecheck.isAvailable).toBe(true)
    typecheck.request()
    const broken = await next()
    expect(broken.total).toBe(2)
    expect(broken.problems[0]).toMatchObject({ source: 'types', file: 'src/a.ts', line: 3, column: 14 })
    expect(broken.problems[0]?.message).toContain('(TS2322)')
    expect(broken.problems[0]?.message).toContain("\nType 'number' is not assignable to type 'string'.")
    expect(broken.problems[1]).toMatchObject({ file: 'src/a.ts', line: 4 })
    expect(existsSync(join(root, '.build/dev/typecheck.tsbuildinfo'))).toBe(true) // the next check is incremental

    writeFileSync(join(root, 'src/a.ts'), 'export const n: number = 1\n')
    typecheck.request()
    expect(await next()).toEqual({ problems: [], total: 0 })
    typecheck.close()
  }, 20_000)

  it('lists at most 20 errors but counts them all, and a burst of requests costs one check', async () => {
    const lines = Array.from({ length: 25 }, (_, i) => `export const n${i}: number = "${i}"`)
    writeFileSync(join(root, 'src/a.ts'), `${lines.join('\n')}\n`)
    const { checker: typecheck, next } = checker()
    for (let i = 0; i < 5; i++) typecheck.request()
    const result = await next()
    expect(result.total).toBe(25)
    expect(result.problems).toHaveLength(20)
    await Bun.sleep(1_000)
    typecheck.close()
    await Bun.sleep(50)
    // Nothing queued behind the burst: had each request run, a second result would be here by now.
    const late = await Promise.race([next().then(() => 'second check'), Bun.sleep(100).then(() => 'none')])
    expect(late).toBe('none')
  }, 20_000)

  it('close() stops a running check with everything it started: nothing writes to the project afterwards', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'ironstar-typecheck-close-'))
    try {
      mkdirSync(join(fresh, 'src'))
      symlinkSync(join(ROOT, 'node_modules'), join(fresh, 'node_modules'))
      // Checking Bun's and the DOM's types makes a first check take a second or more.
      const compilerOptions = { strict: true, noEmit: true, lib: ['ESNext', 'DOM'], types: ['bun'] }
      writeFileSync(join(fresh, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }))
      writeFileSync(join(fresh, 'src/a.ts'), 'export const n: number = 1\n')
      const typecheck = new DevTypeChecker(fresh, { onResult: () => {} })
      typecheck.request()
      while (!existsSync(join(fresh, '.build/dev'))) await Bun.sleep(10) // made just before tsc starts
      await Bun.sleep(300) // npm's tsc script has started the compiler by now
      typecheck.close()
      // A check left running would have written its state by now.
      await Bun.sleep(4_000)
      expect(existsSync(join(fresh, '.build/dev/typecheck.tsbuildinfo'))).toBe(false)
    } finally {
      rmSync(fresh, { recursive: true, force: true })
    }
  }, 20_000)

  it('is off, not broken, in a project without tsc', () => {
    const bare = mkdtempSync(join(tmpdir(), 'ironstar-no-tsc-'))
    try {
      const typecheck = new DevTypeChecker(bare, { onResult: () => {} })
      expect(typecheck.isAvailable).toBe(false)
      typecheck.request()
      typecheck.close()
    } finally {
      rmSync(bare, { recursive: true, force: true })
    }
  })
})

import { afterAll, describe, expect, it } from 'bun:test'
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { featureNames } from '../../scripts/new-feature/names.ts'
import { registerSlice, scaffold } from '../../scripts/new-feature.ts'

const ROOT = join(import.meta.dir, '../..')
const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A throwaway copy of the project (sources, migrations, config), sharing node_modules. */
function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ironstar-scaffold-'))
  dirs.push(dir)
  for (const path of ['src', 'migrations', 'package.json', 'tsconfig.json', 'bunfig.toml']) {
    cpSync(join(ROOT, path), join(dir, path), { recursive: true })
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  return dir
}

describe('featureNames', () => {
  it('featureNames() derives every spelling from a kebab-case name', () => {
    expect(featureNames('shopping-list')).toEqual({
      kebab: 'shopping-list',
      camel: 'shoppingList',
      pascal: 'ShoppingList',
      title: 'Shopping list',
    })
  })
  it('featureNames() refuses names that are not kebab-case or are reserved', () => {
    for (const bad of ['Shopping', 'shopping_list', '1list', 'a--b', '', 'assets', '../x']) {
      expect(() => featureNames(bad)).toThrow(/Cannot scaffold feature/)
    }
  })
})

describe('registerSlice', () => {
  const app =
    "import type { Slice } from './core/slice.ts'\nimport { home } from './features/home/index.ts'\n\nexport const slices: readonly Slice[] = [\n  home,\n]\n"
  it('registerSlice() adds one import and one line in the list, once', () => {
    const once = registerSlice(app, featureNames('notes'))
    expect(once).toContain("import { notes } from './features/notes/index.ts'")
    expect(once).toContain('  home,\n  notes,\n]')
    expect(registerSlice(once, featureNames('notes'))).toBe(once)
  })
  it('registerSlice() refuses an app file without a slices list', () => {
    expect(() => registerSlice('export const x = 1\n', featureNames('notes'))).toThrow(/no `export const slices/)
  })
})

describe('scaffold', () => {
  it('scaffold() writes a slice that is registered and passes its own generated tests', async () => {
    const dir = copyProject()
    const { written } = scaffold('shopping-list', dir)
    expect(written).toContain('src/features/shopping-list/domain.ts')
    expect(written).toContain('src/app.ts')

    const tests = Bun.spawnSync(['bun', 'test', 'test/features/shopping-list'], {
      cwd: dir,
      stderr: 'pipe',
      stdout: 'pipe',
    })
    const summary = tests.stderr.toString()
    expect(summary).toContain(' 0 fail')
    expect(tests.exitCode).toBe(0)

    const listed = Bun.spawnSync(
      [
        'bun',
        '-e',
        "const { slices } = await import('./src/app.ts'); console.log(slices.map((s) => s.name).join(','))",
      ],
      {
        cwd: dir,
        stdout: 'pipe',
      },
    )
    expect(listed.stdout.toString().trim().split(',')).toContain('shopping-list')
  }, 60_000)

  it('scaffold() refuses to overwrite an existing feature', () => {
    const dir = copyProject()
    expect(() => scaffold('todo', dir)).toThrow(/src\/features\/todo exists/)
  })
})

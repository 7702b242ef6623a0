import { afterAll, describe, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { featureNames } from '../../scripts/new-feature/names.ts'
import { registerSlice, scaffold } from '../../scripts/new-feature.ts'
import { copyProject } from '../fixtures/project-copy.ts'

const ROOT = join(import.meta.dir, '../..')
const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const SCAFFOLD_FILES = ['src', 'migrations', 'package.json', 'tsconfig.json', 'bunfig.toml', 'biome.json', '.gitignore']

/**
 * A throwaway copy of what the scaffold, lint, typecheck and the generated tests read: the
 * sources, migrations and config (with the ignore file Biome reads), node_modules linked.
 */
function scaffoldCopy(): string {
  const dir = copyProject('ironstar-scaffold-', SCAFFOLD_FILES)
  dirs.push(dir)
  return dir
}

/** Runs a command in the copy; resolves to its exit code and everything it printed. */
async function run(cwd: string, command: string[]): Promise<{ code: number; output: string }> {
  const child = Bun.spawn(command, { cwd, stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  return { code, output: `${command.join(' ')} exited ${code}\n${stdout}${stderr}` }
}

const gitStatus = () =>
  Bun.spawnSync(['git', 'status', '--porcelain', '--untracked-files=all'], { cwd: ROOT }).stdout.toString()

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
  it('scaffold() writes slices that pass lint, typecheck and their own tests, as written', async () => {
    const before = gitStatus()
    const dir = scaffoldCopy()
    const names = ['poll', 'shopping-list', 'invoices']
    for (const name of names) {
      const { written, formatError } = scaffold(name, dir)
      expect(formatError).toBeUndefined()
      expect(written).toContain(`src/features/${name}/domain.ts`)
      expect(written).toContain('src/app.ts')
    }

    // The checks read the files only, so they run side by side.
    const [lint, typecheck, tests] = await Promise.all([
      run(dir, ['bun', 'run', 'lint']),
      run(dir, ['bun', 'run', 'typecheck']),
      run(dir, ['bun', 'test', ...names.map((name) => `test/features/${name}/`)]),
    ])
    expect(lint.output).toContain('No fixes applied')
    expect(lint.code, lint.output).toBe(0)
    expect(typecheck.code, typecheck.output).toBe(0)
    expect(tests.code, tests.output).toBe(0)
    expect(tests.output).toContain(' 0 fail')
    for (const name of names) expect(tests.output).toContain(`${name} routes`)

    const listed = await run(dir, [
      'bun',
      '-e',
      "const { slices } = await import('./src/app.ts'); console.log(slices.map((s) => s.name).join(','))",
    ])
    for (const name of names) expect(listed.output).toContain(name)
    expect(gitStatus()).toBe(before)
  }, 60_000)

  it('scaffold() refuses to overwrite an existing feature', () => {
    const dir = scaffoldCopy()
    expect(() => scaffold('todo', dir)).toThrow(/src\/features\/todo exists/)
  })
})

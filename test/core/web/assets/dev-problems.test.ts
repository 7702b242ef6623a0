import { afterAll, describe, expect, it } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  formatProblem,
  problemsFromBuildLogs,
  problemsFromError,
} from '../../../../src/core/web/assets/dev-problems.ts'

const root = mkdtempSync(join(tmpdir(), 'ironstar-problems-'))
mkdirSync(join(root, 'src/features'), { recursive: true })
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** What a real `import()` of the file throws. */
async function importError(name: string, source: string): Promise<unknown> {
  const path = join(root, 'src/features', name)
  writeFileSync(path, source)
  try {
    await import(path)
  } catch (error) {
    return error
  }
  throw new Error(`Expected importing ${name} to fail`)
}

describe('problemsFromError: what import() threw, as file, line and message', () => {
  it('a syntax error names the file relative to the project and the line of the error', async () => {
    const error = await importError('syntax.ts', 'export const a = 1\nexport const b = (\n')
    const [problem] = problemsFromError('server', root, error)
    expect(problem).toMatchObject({ source: 'server', file: 'src/features/syntax.ts', line: 2 })
    expect(problem?.message).toContain('Unexpected end of file')
    expect(problem?.lineText).toBe('export const b = (')
    expect(formatProblem(problem!)).toMatch(/^src\/features\/syntax\.ts:2:\d+ Unexpected end of file$/)
  })

  it('a missing module names the importing file and the line of its import', async () => {
    const error = await importError(
      'missing.ts',
      "export const a = 1\nimport { b } from './nowhere.ts'\nexport { b }\n",
    )
    const [problem] = problemsFromError('server', root, error)
    expect(problem).toMatchObject({ file: 'src/features/missing.ts', line: 2 })
    expect(problem?.message).toContain('nowhere.ts')
  })

  it('an error thrown at start-up names the first frame in the project', async () => {
    const error = await importError('throws.ts', 'export const a = 1\nthrow new RangeError("no such slice")\n')
    const [problem] = problemsFromError('server', root, error)
    expect(problem).toMatchObject({ file: 'src/features/throws.ts', line: 2, message: 'RangeError: no such slice' })
  })

  it('something that is not an Error still gives a message', () => {
    expect(problemsFromError('server', root, 'just a string')).toEqual([
      { source: 'server', file: '', line: 0, column: 0, message: 'just a string' },
    ])
  })
})

describe('problemsFromBuildLogs', () => {
  it("keeps Bun.build's errors with their positions and leaves out warnings", async () => {
    writeFileSync(join(root, 'bad.css'), 'a { color: red }\np {{ }\n')
    const result = await Bun.build({ entrypoints: [join(root, 'bad.css')], throw: false })
    expect(result.success).toBe(false)
    const problems = problemsFromBuildLogs('css', root, [...result.logs, { level: 'warning', message: 'meh' }])
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ source: 'css', file: 'bad.css', line: 2, lineText: 'p {{ }' })
  })
})

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, waitForOk } from '../test/fixtures/process.ts'
import { copyProject } from '../test/fixtures/project-copy.ts'

const ROOT = join(import.meta.dir, '..')
/** The dev server's output is kept up to this size (the latest part), for assertions and failure messages. */
const MAX_OUTPUT_CHARS = 64 * 1024

/** `bun run dev` on a temporary copy of the project, so a test can break and fix files without touching the tree. */
export interface DevProject {
  readonly dir: string
  readonly baseUrl: string
  /** Null while the dev process runs: a test checks the loop never needed a manual restart. */
  readonly exitCode: number | null
  /** What the dev server printed so far (stdout and stderr), most recent last. */
  output(): string
  /** Appends lines to a file of the copy and returns the 1-based line number of the first appended line. */
  append(path: string, text: string): number
  /** Puts a file of the copy back as the project has it. */
  restore(path: string): void
  /** Resolves once the background type check has run once (it leaves its incremental state behind). */
  typeChecked(): Promise<void>
  stop(): Promise<void>
}

export async function startDevProject(): Promise<DevProject> {
  const dir = copyProject('ironstar-dev-')
  const port = freePort()
  const child = Bun.spawn(['bun', '--watch', 'src/main.ts', 'serve'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(dir, 'data'),
      IRONSTAR_ENV: 'development',
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  let output = ''
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    for await (const chunk of stream)
      output = (output + decoder.decode(chunk, { stream: true })).slice(-MAX_OUTPUT_CHARS)
  }
  void collect(child.stdout)
  void collect(child.stderr)
  const baseUrl = `http://127.0.0.1:${port}`
  try {
    await waitForOk(`${baseUrl}/`, 15_000)
  } catch (error) {
    child.kill()
    throw new Error(`Cannot start bun run dev in a copy of the project:\n${output}`, { cause: error })
  }
  return {
    dir,
    baseUrl,
    get exitCode() {
      return child.exitCode
    },
    output: () => output,
    append(path, text) {
      const file = join(dir, path)
      const before = readFileSync(file, 'utf8')
      const base = before.endsWith('\n') ? before : `${before}\n`
      writeFileSync(file, `${base}${text}\n`)
      return base.split('\n').length
    },
    restore(path) {
      writeFileSync(join(dir, path), readFileSync(join(ROOT, path)))
    },
    async typeChecked() {
      const deadline = Date.now() + 15_000
      while (!existsSync(join(dir, '.build/dev/typecheck.tsbuildinfo'))) {
        if (Date.now() > deadline) throw new Error(`The dev type check never ran:\n${output}`)
        await Bun.sleep(100)
      }
    },
    async stop() {
      child.kill('SIGTERM')
      await child.exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

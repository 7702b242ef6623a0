import { Database } from 'bun:sqlite'
import { afterAll, describe, expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { makeTempDir } from '../../fixtures/store.ts'

const dir = makeTempDir('ironstar-crash-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs the writer until it has acknowledged `atLeast` events, then kills it with SIGKILL. */
async function runAndKill(path: string, atLeast: number): Promise<string[]> {
  const child = Bun.spawn(['bun', join(import.meta.dir, '../../fixtures/crash-writer.ts'), path], {
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const decoder = new TextDecoder()
  let output = ''
  const reader = child.stdout.getReader()
  while (output.split('\n').length <= atLeast) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`Writer exited early with code ${await child.exited}`)
    output += decoder.decode(value, { stream: true })
  }
  child.kill('SIGKILL')
  // Whatever the child wrote before dying is still in the pipe: drain it too.
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    output += decoder.decode(value, { stream: true })
  }
  await child.exited
  const lines = output.split('\n')
  lines.pop() // a partial last line was never fully acknowledged
  return lines.filter(Boolean)
}

describe('crash durability', () => {
  it('every acknowledged event survives SIGKILL mid-stream, five times over', async () => {
    const path = join(dir, 'crash.sqlite')
    const acknowledged: string[] = []
    for (let round = 0; round < 5; round++) {
      acknowledged.push(...(await runAndKill(path, 300 + round * 50)))
      const db = new Database(path)
      expect(db.query<{ integrity_check: string }, []>('PRAGMA integrity_check').get()?.integrity_check).toBe('ok')
      const stored = new Set(
        db
          .query<{ event_id: string }, []>('SELECT event_id FROM events')
          .all()
          .map((r) => r.event_id),
      )
      const missing = acknowledged.filter((id) => !stored.has(id))
      expect(missing).toEqual([])
      db.close()
    }
    expect(acknowledged.length).toBeGreaterThan(1500)
  }, 60_000)
})

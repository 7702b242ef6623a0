// The crash loop's short version: the real server SIGKILLed twice under load from four clients.
// Asserts the invariants only, never timings.
import { expect, test } from 'bun:test'
import { runCrashLoop } from '../../bench/faults/crash-loop.ts'

test('no acknowledged command is lost or duplicated over SIGKILLs under load, and the restarted projections equal a fresh fold', async () => {
  const result = await runCrashLoop({ kills: 2, clients: 4, minMs: 200, maxMs: 500, seed: 1 })
  expect(result.acknowledged).toBeGreaterThan(20)
  expect(result.restartMs).toHaveLength(2)
  expect(result.integrityFailures).toEqual([])
  expect(result.lost).toBe(0)
  expect(result.duplicates).toBe(0)
  expect(result.gappedStreams).toBe(0)
  expect(result.projectionMismatches).toBe(0)
  expect(result.inDoubtCommitted).toBeLessThanOrEqual(result.inDoubt)
  // The only answer besides 303 a client may get meanwhile is a 503 (nothing written).
  expect(Object.keys(result.statuses).filter((status) => status !== '503')).toEqual([])
}, 60_000)

// The storage harness's short version: a full disk, a read-only database, a stalled disk and a
// deleted WAL, each for a moment under load from three clients; then a WAL deleted while no command
// comes. Asserts the invariants only.
import { expect, test } from 'bun:test'
import { runQuietWalUnlink, runStorageFaults, STORAGE_FAULTS } from '../../bench/faults/storage.ts'

test('storage faults under load crash nothing, keep pages and feeds serving, and lose or half-write nothing', async () => {
  const result = await runStorageFaults({ clients: 3, faultMs: 300 })
  expect(result.faults.map((f) => f.fault)).toEqual([...STORAGE_FAULTS])
  for (const fault of result.faults) {
    expect({ fault: fault.fault, survived: fault.survived, feedOpen: fault.probes.feedOpen }).toEqual({
      fault: fault.fault,
      survived: true,
      feedOpen: true,
    })
    // A refused write is a 503 with Retry-After (a full or read-only disk, a deleted WAL), never a 500.
    expect({
      fault: fault.fault,
      statuses: Object.keys(fault.commands).filter((s) => s !== '303' && s !== '503'),
    }).toEqual({ fault: fault.fault, statuses: [] })
    expect(Object.keys(fault.probes.pages)).toEqual(['200'])
    expect(Object.keys(fault.probes.healthz)).toEqual(['200'])
  }
  // A deleted WAL is refused with 503 (and a restart ends it), never acknowledged into the orphan.
  const deletedWal = result.faults.find((f) => f.fault === 'deleted WAL')
  expect(deletedWal?.commands['503']).toBeGreaterThan(0)
  expect(result.acknowledged).toBeGreaterThan(10)
  expect(result.withoutRetryAfter).toBe(0)
  expect(result.integrity).toBe('ok')
  expect(result.lost).toBe(0)
  expect(result.duplicates).toBe(0)
  expect(result.gappedStreams).toBe(0)
  expect(result.projectionMismatches).toBe(0)
}, 60_000)

test('a WAL deleted while no command comes is noticed without a write, and a crash then loses nothing acknowledged', async () => {
  const result = await runQuietWalUnlink({ clients: 2, loadMs: 300, quietMs: 300, watchMs: 2_000 })
  expect(result.acknowledged).toBeGreaterThan(10)
  // Found by the check between writes: /readyz says so within about a second, commands get 503.
  expect(result.noticedMs).not.toBeNull()
  expect(result.commandAfter).toBe(503)
  // Killed with the WAL gone: every command answered 303 is in the database file.
  expect(result.integrity).toBe('ok')
  expect(result.lost).toBe(0)
}, 30_000)

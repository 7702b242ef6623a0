/**
 * Hostile HTTP: the real app in a child process answers seeded generated requests (malformed,
 * truncated, huge and deeply nested bodies, wrong types, unknown routes and methods, absurd
 * Last-Event-ID and ?since, bad cookies, path traversal, header floods, slow bodies). Every one
 * must get no 5xx and no answer-less hang; refused ones write nothing; the process stays up and
 * its memory bounded. The suite's short version (test/security/hostile-input.test.ts) runs the
 * same campaign with fewer requests. A failure names its seed: `--seed <n>` replays it.
 *
 *   bun bench/fuzz/hostile-http.ts                         # 10,000 requests, a fresh seed
 *   bun bench/fuzz/hostile-http.ts --requests 200000 --seed 42
 */
import { parseArgs } from 'node:util'
import { readyWithin, runCampaign, summarise, visitAsABrowserWould } from '../../test/security/hostile-campaign.ts'
import { smuggledWrites, startHostileServer, storedInvalidText } from '../../test/security/hostile-process.ts'
import { printTable } from '../table.ts'

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    width: { type: 'string', default: '24' },
    help: { type: 'boolean', default: false },
  },
})
if (args.help) {
  console.log('bun bench/fuzz/hostile-http.ts [--requests 10000] [--seed <n>] [--width 24 requests at once]')
  process.exit(0)
}
const seed = Number(args.seed ?? Math.floor(Math.random() * 2 ** 31))
const requests = Number(args.requests)
const MIB = 1024 * 1024

console.log(`Hostile HTTP: ${requests.toLocaleString('en-US')} requests, seed ${seed} (replay with --seed ${seed})\n`)
const server = await startHostileServer()
const known = await visitAsABrowserWould(server)
const eventsBefore = server.events.query('SELECT count(*) AS n FROM events').get() as { n: number }
const started = performance.now()
const result = await runCampaign(server, known, {
  seed,
  requests,
  width: Number(args.width),
  onProgress: (sent) => {
    if (sent % 10_000 === 0) console.error(`  ${sent} sent, ${((performance.now() - started) / 1000).toFixed(0)} s`)
  },
})
const seconds = (performance.now() - started) / 1000
const eventsAfter = server.events.query('SELECT count(*) AS n FROM events').get() as { n: number }

const statusColumns = [...new Set(Object.values(result.statuses).flatMap((byStatus) => Object.keys(byStatus)))].sort()
printTable(
  Object.entries(result.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, byStatus]) => ({
      kind,
      sent: Object.values(byStatus).reduce((sum, n) => sum + n, 0),
      // Named so that they keep their order after `kind` (integer-like keys would come first).
      ...Object.fromEntries(statusColumns.map((status) => [`HTTP ${status}`, byStatus[status] ?? 0])),
    })),
)
const alive = server.child.exitCode === null
const invalid = storedInvalidText(server)
const smuggled = smuggledWrites(server)
const ready = await readyWithin(server, 5_000)
printTable([
  {
    requests,
    seconds: Math.round(seconds),
    'per second': Math.round(requests / seconds),
    problems: result.problems.length,
    'RSS before MiB': Math.round(result.rssBeforeBytes / MIB),
    'RSS after MiB': Math.round(result.rssAfterBytes / MIB),
    'events written': eventsAfter.n - eventsBefore.n,
    'stored invalid text': invalid.length,
    'smuggled writes': smuggled,
    'still up': alive ? 'yes' : 'no',
    '/readyz': ready ?? 'none',
  },
])
if (result.problems.length > 0) {
  console.log(JSON.stringify(summarise(result.problems), null, 2))
  console.log(result.problems.slice(0, 20).join('\n'))
}
await server.stop()
const failed = result.problems.length > 0 || !alive || invalid.length > 0 || smuggled > 0 || ready !== 200
if (failed) console.log(`\nFAILED: replay with --seed ${seed}`)
process.exit(failed ? 1 : 0)

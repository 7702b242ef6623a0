// The overload harness's probes: `/healthz`, a page GET and a feed's first byte, one after another
// for as long as asked, from a process of their own so the load generator's event loop does not
// delay them. Prints one JSON line: the latencies (ms) and failures of each probe.
//   bun bench/faults/_overload-probes.ts <origin> <milliseconds> <cookie>

export {}

const [origin = '', durationArg = '1000', cookie = ''] = process.argv.slice(2)
const until = performance.now() + Number(durationArg)
const headers = { Cookie: cookie, Origin: origin }

async function timed(probe: () => Promise<void>): Promise<number | null> {
  const started = performance.now()
  try {
    await probe()
    return performance.now() - started
  } catch {
    return null
  }
}

async function get(path: string): Promise<void> {
  const response = await fetch(origin + path, { headers, signal: AbortSignal.timeout(10_000) })
  await response.arrayBuffer()
  if (!response.ok) throw new Error(`${path} answered ${response.status}`)
}

async function firstFeedByte(): Promise<void> {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), 10_000)
  try {
    const response = await fetch(`${origin}/counter/feed`, {
      headers: { ...headers, Accept: 'text/event-stream', 'Datastar-Request': 'true' },
      signal: abort.signal,
    })
    if (!response.ok || !response.body) throw new Error(`feed answered ${response.status}`)
    const reader = response.body.getReader()
    await reader.read()
  } finally {
    clearTimeout(timer)
    abort.abort()
  }
}

const probes = { healthz: () => get('/healthz'), page: () => get('/counter'), feed: firstFeedByte }
const results = Object.fromEntries(Object.keys(probes).map((name) => [name, { ms: [] as number[], failed: 0 }]))
do {
  for (const [name, probe] of Object.entries(probes)) {
    const ms = await timed(probe)
    const result = results[name]
    if (!result) continue
    if (ms === null) result.failed++
    else result.ms.push(ms)
  }
  await Bun.sleep(20)
} while (performance.now() < until)
console.log(JSON.stringify(results))

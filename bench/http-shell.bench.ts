// The web shell's cost per request: a bare Bun.serve route (baseline) against the same
// handler behind the shell (CSRF check, context, security headers, request log and metrics),
// then with a session lookup, the full landing page, and the html tag against plain
// concatenation. Client and server share this process and its cores, for every row alike.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config.ts'
import { defineSlice } from '../src/core/slice.ts'
import { html } from '../src/core/web/html.ts'
import { home } from '../src/features/home/index.ts'
import { startServer } from '../src/server.ts'
import { printTable } from './table.ts'

const DURATION_MS = 1_500
const CONCURRENCY = 16

async function load(url: string, init: RequestInit = {}): Promise<{ rps: number; p50: number; p99: number }> {
  const latencies: number[] = []
  const until = performance.now() + DURATION_MS
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const started = performance.now()
        const response = await fetch(url, init)
        await response.arrayBuffer()
        if (!response.ok) throw new Error(`Cannot benchmark ${url}: status ${response.status}`)
        latencies.push(performance.now() - started)
      }
    }),
  )
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0
  return { rps: latencies.length / (DURATION_MS / 1000), p50: at(0.5), p99: at(0.99) }
}

const row = (name: string, r: { rps: number; p50: number; p99: number }) => ({
  case: name,
  'requests/s': Math.round(r.rps),
  'p50 ms': r.p50,
  'p99 ms': r.p99,
})

const bare = Bun.serve({ port: 0, routes: { '/plain': () => new Response('ok') } })
const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-shell-bench-'))
const probe = defineSlice({
  name: 'probe',
  routes: () => ({
    '/plain': { GET: () => new Response('ok') },
    '/session': { GET: (_req, ctx) => new Response(ctx.session.id) },
  }),
})
const server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, IRONSTAR_ENV: 'test' }), {
  slices: [home, probe],
})

try {
  const first = await fetch(new URL('/session', server.url))
  const cookie = first.headers.getSetCookie()[0]?.split(';')[0] ?? ''
  const rows = [
    row('bare Bun.serve route (baseline)', await load(new URL('/plain', bare.url).href)),
    row('same handler behind the shell', await load(new URL('/plain', server.url).href)),
    row(
      'shell + session lookup (known cookie)',
      await load(new URL('/session', server.url).href, { headers: { cookie } }),
    ),
    row('shell + new session per request (no cookie)', await load(new URL('/session', server.url).href)),
    row('landing page (layout, icons, 14 KB)', await load(new URL('/', server.url).href)),
  ]
  printTable(rows)

  const text = '<script>alert("x")</script> & friends'
  const ITERATIONS = 200_000
  let sink = 0
  let started = performance.now()
  for (let i = 0; i < ITERATIONS; i++) sink += `<li id="n-${i}">${text}</li>`.length
  const concat = performance.now() - started
  started = performance.now()
  for (let i = 0; i < ITERATIONS; i++) sink += html`<li id="n-${i}">${text}</li>`.value.length
  const tagged = performance.now() - started
  printTable([
    { case: 'template literal, unescaped (baseline)', 'ns/item': (concat * 1e6) / ITERATIONS },
    { case: 'html tag, escaped', 'ns/item': (tagged * 1e6) / ITERATIONS },
  ])
  if (sink === 0) console.log('(unreachable)')
} finally {
  bare.stop(true)
  await server.stop()
  rmSync(dataDir, { recursive: true, force: true })
}

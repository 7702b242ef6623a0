// The feed-compression study (docs/notes/feed-compression.md): each way of compressing one SSE
// feed for many browsers, on the app's own renders. Per scheme: bytes per event and ratio on
// the fat-morph todo stream and the counter, CPU per event at 1 and --connections connections,
// memory per idle stream with --streams streams open (each in a fresh process, against one with
// no compression), and whether zlib's decoder gives back exactly the plain stream.
// Flags: --connections 1000, --streams 2000, --events 100 (ratio), --cpu-events 2 (todo events timed at --connections).
import { parseArgs } from 'node:util'
import { cpuPerEvent, decodesExactly, memoryPerStream, ratioOf } from './compression/measure.ts'
import { SCHEMES } from './compression/schemes.ts'
import { counterStream, type FeedStream, todoStream } from './compression/streams.ts'
import { printTable } from './table.ts'

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000' },
    streams: { type: 'string', default: '2000' },
    events: { type: 'string', default: '100' },
    'cpu-events': { type: 'string', default: '2' },
    'memory-of': { type: 'string' }, // internal: measure one scheme's memory in this process
    stream: { type: 'string', default: 'counter' },
  },
})
const STREAMS: Record<string, () => FeedStream> = { counter: counterStream, todo: todoStream }

if (values['memory-of'] !== undefined) {
  const index = Number(values['memory-of'])
  const stream = (STREAMS[values.stream] ?? counterStream)()
  console.log(JSON.stringify(await memoryPerStream(SCHEMES[index] ?? null, stream, Number(values.streams))))
  process.exit(0)
}

/** Memory per stream in a child process: `index` -1 is the no-compression baseline. */
async function memoryInChild(index: number, stream: string, streams: number) {
  const child = Bun.spawn(
    ['bun', import.meta.path, `--memory-of=${index}`, `--stream=${stream}`, `--streams=${streams}`],
    { stdout: 'pipe', stderr: 'inherit' },
  )
  const text = await new Response(child.stdout).text()
  await child.exited
  return JSON.parse(text) as { rss: number; heap: number }
}

const connections = Number(values.connections)
const streams = Number(values.streams)
const events = Number(values.events)
const cpuEvents = Number(values['cpu-events'])
const kib = (bytes: number) => Math.round((bytes / 1024) * 10) / 10
const load = () =>
  (
    Bun.file('/proc/loadavg')
      .text()
      .catch(() => '?') as Promise<string>
  ).then((t) => t.split(' ').slice(0, 3).join(' '))

console.log(`Load average at start: ${await load()}\n`)
// The todo stream's memory is measured with fewer streams: each compressor then sees 300 KB renders.
const todoStreams = Math.max(1, Math.round(streams / 10))
const baseCounter = await memoryInChild(-1, 'counter', streams)
const baseTodo = await memoryInChild(-1, 'todo', todoStreams)
const rows: Record<string, string | number>[] = []
for (const [index, scheme] of SCHEMES.entries()) {
  const todo = await ratioOf(scheme, todoStream(), events)
  const counter = await ratioOf(scheme, counterStream(), events)
  const memCounter = await memoryInChild(index, 'counter', streams)
  const memTodo = await memoryInChild(index, 'todo', todoStreams)
  rows.push({
    scheme: scheme.name,
    work: scheme.work,
    [`RSS per idle stream, counter, ${streams} (KiB)`]: kib(memCounter.rss - baseCounter.rss),
    'JS heap per idle stream, counter (KiB)': kib(memCounter.heap - baseCounter.heap),
    [`RSS per idle stream, todo, ${todoStreams} (KiB)`]: kib(memTodo.rss - baseTodo.rss),
    documented: scheme.documented,
    'todo: bytes per event': Math.round(todo.steadyBytesPerEvent),
    'todo: ratio': `${todo.ratio.toFixed(1)}:1`,
    'counter: bytes per event': Math.round(counter.steadyBytesPerEvent),
    'counter: ratio': `${counter.ratio.toFixed(1)}:1`,
    'todo: CPU per event, 1 conn (µs)': Math.round(await cpuPerEvent(scheme, todoStream(), 1, 20)),
    [`todo: CPU per event, ${connections} conns (µs)`]: Math.round(
      await cpuPerEvent(scheme, todoStream(), connections, cpuEvents),
    ),
    'counter: CPU per event, 1 conn (µs)': Math.round(await cpuPerEvent(scheme, counterStream(), 1, 200)),
    [`counter: CPU per event, ${connections} conns (µs)`]: Math.round(
      await cpuPerEvent(scheme, counterStream(), connections, cpuEvents * 4),
    ),
    'decodes exactly (todo, counter)': `${await decodesExactly(scheme, todoStream())}, ${await decodesExactly(scheme, counterStream())}`,
  })
}
const todoRaw = todoStream().event(1).byteLength
const counterRaw = counterStream().event(1).byteLength
console.log(`One todo event: ${todoRaw.toLocaleString('en-US')} bytes; one counter event: ${counterRaw} bytes.\n`)
printTable(rows)
console.log(`Load average at end: ${await load()}`)

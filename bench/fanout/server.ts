// One fan-out server process: `ironstar` (store → bus → projection → feed hub) or `bare`
// (a plain Bun.serve that writes the same encoded bytes to every open stream).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BroadcastRing } from '../../src/core/eventsourcing/bus.ts'
import { CommandHandler } from '../../src/core/eventsourcing/commands.ts'
import { openDatabase } from '../../src/core/eventsourcing/database.ts'
import type { Decider } from '../../src/core/eventsourcing/decider.ts'
import { migrate } from '../../src/core/eventsourcing/migrations.ts'
import { Projection } from '../../src/core/eventsourcing/projections.ts'
import { SqliteEventStore } from '../../src/core/eventsourcing/store/sqlite-event-store.ts'
import { EventRegistry } from '../../src/core/eventsourcing/upcast.ts'
import { encodePatch } from '../../src/core/web/sse/encode.ts'
import { FeedRegistry, serveFeed } from '../../src/core/web/sse.ts'
import { migrations } from '../../src/migrations.ts'
import { bareFeed } from './bare-feed.ts'
import { renderTally, tallyProjection } from './view.ts'

type Tick = { type: 'Ticked'; data: { note: string } }
const ticker: Decider<null, { note: string }, Tick> = {
  initialState: () => null,
  decide: (_state, command) => ({ type: 'Ticked', data: { note: command.note } }),
  evolve: (state) => state,
}

const mode = process.argv[2] === 'bare' ? 'bare' : 'ironstar'
const stats = () => {
  Bun.gc(true)
  const memory = process.memoryUsage()
  const cpu = process.cpuUsage()
  return { rss: memory.rss, heap: memory.heapUsed, cpuMs: (cpu.user + cpu.system) / 1000 }
}

async function ironstar() {
  const dir = mkdtempSync(join(tmpdir(), 'ironstar-fanout-'))
  const db = openDatabase(join(dir, 'events.sqlite'))
  migrate(db, migrations)
  const store = new SqliteEventStore(db, new EventRegistry().register('Ticked'))
  const bus = new BroadcastRing(256)
  store.onCommit((events) => bus.publish(events))
  const tally = new Projection(tallyProjection)
  await tally.start({ store, bus })
  const feeds = new FeedRegistry({ bus, store })
  const commands = new CommandHandler(store)
  const stream = { type: 'tally', id: 'bench' }
  const server = Bun.serve({
    port: 0,
    routes: {
      '/feed': (req, srv) =>
        serveFeed(
          req,
          { app: { feeds }, server: srv },
          {
            key: 'tally',
            isRelevant: (event) => event.type === 'Ticked',
            render: () => renderTally(tally.state),
            projections: [tally],
          },
        ),
      '/cmd': {
        POST: async (req) => {
          const note = new URL(req.url).searchParams.get('note') ?? ''
          const result = await commands.handle(ticker, stream, { note })
          return Response.json({ position: result.position })
        },
      },
      '/stats': () =>
        Response.json({
          ...stats(),
          connections: feeds.counters().connections,
          renders: feeds.counters().renders,
          overflows: feeds.counters().overflows,
        }),
    },
  })
  return { server, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

function bare() {
  const controllers = new Set<ReadableStreamDefaultController<Uint8Array>>()
  let position = 0
  let tally = { count: 0, last: '' }
  const server = Bun.serve({
    port: 0,
    routes: {
      '/feed': bareFeed(controllers),
      '/cmd': {
        POST: (req) => {
          position++
          tally = { count: tally.count + 1, last: new URL(req.url).searchParams.get('note') ?? '' }
          const bytes = encodePatch(renderTally(tally), position)
          for (const controller of controllers) controller.enqueue(bytes)
          return Response.json({ position })
        },
      },
      '/stats': () => Response.json({ ...stats(), connections: controllers.size, renders: position }),
    },
  })
  return { server, cleanup: () => {} }
}

const { server, cleanup } = mode === 'bare' ? bare() : await ironstar()
console.log(JSON.stringify({ port: server.port }))
process.on('SIGTERM', () => {
  server.stop(true)
  cleanup()
  process.exit(0)
})

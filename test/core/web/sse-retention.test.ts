import { afterEach, describe, expect, it } from 'bun:test'
import { BroadcastRing } from '../../../src/core/eventsourcing/bus.ts'
import { SseConnection } from '../../../src/core/testing/sse-client.ts'
import { FeedRegistry, serveFeed } from '../../../src/core/web/sse.ts'
import { notesRegistry } from '../../fixtures/notes.ts'
import { openTestStore } from '../../fixtures/store.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('an open feed', () => {
  it('does not keep the request context it was served with', async () => {
    const opened = openTestStore(notesRegistry())
    const bus = new BroadcastRing(16)
    const feeds = new FeedRegistry({ bus, store: opened.store })
    const contexts: WeakRef<object>[] = []
    const server = Bun.serve({
      port: 0,
      fetch(req, srv) {
        // What a route's context carries beside what the feed needs (a session, the URL) rides on it.
        const ctx = { app: { feeds }, server: srv, url: new URL(req.url), session: { id: 'x'.repeat(1_000) } }
        contexts.push(new WeakRef(ctx))
        return serveFeed(req, ctx, { key: 'quiet', render: () => '<p id="quiet">nothing yet</p>' })
      },
    })
    cleanups.push(async () => {
      feeds.close()
      bus.close()
      await server.stop(true)
      await opened.close()
    })
    const clients = await Promise.all(
      Array.from({ length: 5 }, () => SseConnection.open(new URL('/feed', server.url).toString())),
    )
    cleanups.push(() => {
      for (const client of clients) client.close()
    })
    for (const client of clients) expect((await client.next())?.event).toBe('datastar-patch-elements')
    expect(feeds.counters().connections).toBe(5)

    Bun.gc(true)
    await Bun.sleep(0)
    Bun.gc(true)
    expect(contexts.filter((ref) => ref.deref() !== undefined)).toHaveLength(0)
    expect(feeds.counters().connections).toBe(5)
  })
})

import { commandRoute } from '../../core/web/http/command.ts'
import type { RequestContext, RouteTable } from '../../core/web/http/context.ts'
import { sessionKey } from '../../core/web/session-key.ts'
import { feedRoute } from '../../core/web/sse.ts'
import { page } from '../../core/web/ui/layout.ts'
import { counterDecider, globalCounterStream, sessionCounterStream } from './domain.ts'
import { counterProjection } from './projection.ts'
import { counterPage, globalCounter, sessionCounter } from './views.ts'

const ownStream = (ctx: RequestContext) => sessionCounterStream(sessionKey(ctx.session))

const valuesFor = (ctx: RequestContext) => {
  const counters = ctx.app.projection(counterProjection).state
  return { global: counters.get(globalCounterStream.id) ?? 0, session: counters.get(ownStream(ctx).id) ?? 0 }
}

/**
 * Each session sees its own counter next to the shared one, so each is a fragment of its own: a
 * global increment renders `counter/global` once for every visitor, a session's only its own.
 */
const counterFeed = feedRoute((ctx) => {
  const counters = ctx.app.projection(counterProjection)
  const own = ownStream(ctx)
  const value = (id: string) => counters.state.get(id) ?? 0
  return {
    key: 'counter',
    fragments: [
      {
        key: 'counter/global',
        projections: [counters],
        streams: [globalCounterStream],
        render: () => globalCounter(value(globalCounterStream.id)).value,
      },
      {
        key: `counter/${own.id}`,
        projections: [counters],
        streams: [own],
        render: () => sessionCounter(value(own.id)).value,
      },
    ],
  }
})

const increment = (stream: (ctx: RequestContext) => { type: string; id: string }) =>
  commandRoute({
    redirect: '/counter',
    waitFor: counterProjection,
    handle: (_input, ctx) =>
      ctx.app.commands.handle(counterDecider, stream(ctx), { type: 'IncrementCounter', at: new Date().toISOString() }),
  })

export const counterRoutes: RouteTable = {
  '/counter': {
    GET: (_req, ctx) => {
      const { position } = ctx.app.projection(counterProjection)
      return page(ctx, { title: 'Counter', body: counterPage(valuesFor(ctx), position) })
    },
  },
  '/counter/feed': { GET: counterFeed },
  '/counter/global/increment': { POST: increment(() => globalCounterStream) },
  '/counter/session/increment': { POST: increment(ownStream) },
}

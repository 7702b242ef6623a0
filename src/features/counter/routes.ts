import { z } from 'zod'
import type { AppContext } from '../../core/app-context.ts'
import { commandRoute } from '../../core/http/command.ts'
import type { Handler, RequestContext, RouteTable } from '../../core/http/context.ts'
import { sessionKey } from '../../core/session-key.ts'
import { serveFeed } from '../../core/sse.ts'
import { page } from '../../core/ui/layout.ts'
import { counterDecider, globalCounterStream, sessionCounterStream } from './domain.ts'
import { counterProjection, globalCount, isCounterEvent, sessionCount } from './projection.ts'
import { counterPage, counterRegion } from './views.ts'

const valuesFor = (ctx: RequestContext) => {
  const state = counterProjection.state
  return { global: globalCount(state), session: sessionCount(state, sessionKey(ctx.session)) }
}

const showCounter: Handler = function showCounter(_req, ctx) {
  return page(ctx, { title: 'Counter', body: counterPage(valuesFor(ctx), counterProjection.position) })
}

/**
 * Each session renders its own view (its own counter next to the shared one), so the render
 * key is per session; the global counter's events are relevant to every one of them. The view
 * is built only when the feed opens, so a HEAD or a refused feed reads no session.
 */
const counterFeed: Handler = function counterFeed(req, ctx) {
  return serveFeed(req, ctx, () => {
    const own = sessionCounterStream(sessionKey(ctx.session)).id
    return {
      key: `counter/${own}`,
      projections: [counterProjection],
      isRelevant: (event) =>
        isCounterEvent(event) && (event.stream.id === globalCounterStream.id || event.stream.id === own),
      render: () => counterRegion(valuesFor(ctx)).value,
    }
  })
}

function increment(stream: (ctx: RequestContext) => { type: string; id: string }): Handler {
  return commandRoute({
    input: z.object({}),
    redirect: '/counter',
    async handle(_input, ctx) {
      const result = await ctx.app.commands.handle(counterDecider, stream(ctx), {
        type: 'IncrementCounter',
        at: new Date().toISOString(),
      })
      await counterProjection.waitFor(result.position)
    },
  })
}

export function counterRoutes(_app: AppContext): RouteTable {
  return {
    '/counter': { GET: showCounter },
    '/counter/feed': { GET: counterFeed },
    '/counter/global/increment': { POST: increment(() => globalCounterStream) },
    '/counter/session/increment': { POST: increment((ctx) => sessionCounterStream(sessionKey(ctx.session))) },
  }
}

import { z } from 'zod'
import { commandRoute } from '../../core/web/http/command.ts'
import type { Handler, RequestContext, RouteTable } from '../../core/web/http/context.ts'
import { sessionKey } from '../../core/web/session-key.ts'
import { serveFeed } from '../../core/web/sse.ts'
import { page } from '../../core/web/ui/layout.ts'
import { counterDecider, globalCounterStream, sessionCounterStream } from './domain.ts'
import { counterProjection, globalCount, sessionCount } from './projection.ts'
import { counterPage, counterRegion } from './views.ts'

const ownStream = (ctx: RequestContext) => sessionCounterStream(sessionKey(ctx.session))

const valuesFor = (ctx: RequestContext) => {
  const { state } = ctx.app.projection(counterProjection)
  return { global: globalCount(state), session: sessionCount(state, sessionKey(ctx.session)) }
}

const showCounter: Handler = function showCounter(_req, ctx) {
  const { position } = ctx.app.projection(counterProjection)
  return page(ctx, { title: 'Counter', body: counterPage(valuesFor(ctx), position) })
}

/**
 * Each session renders its own view (its own counter next to the shared one), so the render
 * key is per session; the global counter's events are relevant to every one of them. The view
 * is built only when the feed opens, so a HEAD or a refused feed reads no session.
 */
const counterFeed: Handler = function counterFeed(req, ctx) {
  return serveFeed(req, ctx, () => {
    const shown: readonly string[] = [globalCounterStream.id, ownStream(ctx).id]
    return {
      key: `counter/${shown[1]}`,
      projections: [ctx.app.projection(counterProjection)],
      isRelevant: (event) => event.stream.type === globalCounterStream.type && shown.includes(event.stream.id),
      render: () => counterRegion(valuesFor(ctx)).value,
    }
  })
}

function increment(stream: (ctx: RequestContext) => { type: string; id: string }): Handler {
  return commandRoute({
    input: z.object({}),
    redirect: '/counter',
    waitFor: counterProjection,
    handle: (_input, ctx) =>
      ctx.app.commands.handle(counterDecider, stream(ctx), { type: 'IncrementCounter', at: new Date().toISOString() }),
  })
}

export const counterRoutes: RouteTable = {
  '/counter': { GET: showCounter },
  '/counter/feed': { GET: counterFeed },
  '/counter/global/increment': { POST: increment(() => globalCounterStream) },
  '/counter/session/increment': { POST: increment(ownStream) },
}

import { z } from 'zod'
import type { AppContext } from '../../core/app-context.ts'
import { commandRoute } from '../../core/http/command.ts'
import type { Handler, RequestContext, RouteTable } from '../../core/http/context.ts'
import { parseParams } from '../../core/http/input.ts'
import { serveFeed } from '../../core/sse.ts'
import { page } from '../../core/ui/layout.ts'
import { moveInput, type SortableCommand, sortableDecider, sortableStream } from './domain.ts'
import { isSortableEvent, sortableProjection } from './projection.ts'
import { sortablePage, sortableRegion } from './views.ts'

const idParams = z.object({ id: z.string().min(1).max(64) })

const showSortable: Handler = function showSortable(_req, ctx) {
  return page(ctx, { title: 'Sortable', body: sortablePage(sortableProjection.state, sortableProjection.position) })
}

/** One list for everyone: one key, so each change is rendered once for every open page. */
const sortableFeed: Handler = function sortableFeed(req, ctx) {
  return serveFeed(req, ctx, {
    key: 'sortable',
    projections: [sortableProjection],
    isRelevant: isSortableEvent,
    render: () => sortableRegion(sortableProjection.state).value,
  })
}

function move<Schema extends z.ZodType>(
  input: Schema,
  command: (id: string, input: z.output<Schema>) => SortableCommand,
) {
  return commandRoute({
    input,
    redirect: '/sortable',
    async handle(parsed, ctx: RequestContext) {
      const { id } = parseParams(ctx, idParams)
      const result = await ctx.app.commands.handle(sortableDecider, sortableStream, command(id, parsed))
      if (result.position > 0) await sortableProjection.waitFor(result.position)
    },
  })
}

export function sortableRoutes(_app: AppContext): RouteTable {
  return {
    '/sortable': { GET: showSortable },
    '/sortable/feed': { GET: sortableFeed },
    '/sortable/:id/move': { POST: move(moveInput, (id, { to }) => ({ type: 'MoveItem', id, to })) },
    '/sortable/:id/up': { POST: move(z.object({}), (id) => ({ type: 'MoveItemUp', id })) },
    '/sortable/:id/down': { POST: move(z.object({}), (id) => ({ type: 'MoveItemDown', id })) },
  }
}

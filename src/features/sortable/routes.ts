import { z } from 'zod'
import type { AppContext } from '../../core/app-context.ts'
import { commandRoute, type Rejection } from '../../core/http/command.ts'
import type { Handler, RequestContext, RouteTable } from '../../core/http/context.ts'
import { parseParams } from '../../core/http/input.ts'
import { serveFeed } from '../../core/sse.ts'
import { layout, page } from '../../core/ui/layout.ts'
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

/**
 * A refused drop (a position outside the list, e.g. from a page that missed a change) answers
 * with the list as the server holds it, so the item the browser already moved jumps back.
 */
function rejected(ctx: RequestContext, rejection: Rejection) {
  const notice = `Cannot move the item there: ${rejection.issues.to ?? rejection.issues._form ?? 'refused'}`
  const state = sortableProjection.state
  return {
    page: () => layout(ctx, { title: 'Sortable', body: sortablePage(state, sortableProjection.position, notice) }),
    region: () => sortableRegion(state, notice),
  }
}

function move<Schema extends z.ZodType>(
  input: Schema,
  command: (id: string, input: z.output<Schema>) => SortableCommand,
  options: { rejected?: typeof rejected } = {},
) {
  return commandRoute({
    input,
    redirect: '/sortable',
    ...options,
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
    '/sortable/:id/move': { POST: move(moveInput, (id, { to }) => ({ type: 'MoveItem', id, to }), { rejected }) },
    '/sortable/:id/up': { POST: move(z.object({}), (id) => ({ type: 'MoveItemUp', id })) },
    '/sortable/:id/down': { POST: move(z.object({}), (id) => ({ type: 'MoveItemDown', id })) },
  }
}

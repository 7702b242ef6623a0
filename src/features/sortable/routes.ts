import { z } from 'zod'
import { commandRoute, type Rejection } from '../../core/web/http/command.ts'
import type { Handler, RequestContext, RouteTable } from '../../core/web/http/context.ts'
import { parseParams } from '../../core/web/http/input.ts'
import { serveFeed } from '../../core/web/sse.ts'
import { layout, page } from '../../core/web/ui/layout.ts'
import { moveInput, type SortableCommand, sortableDecider, sortableStream } from './domain.ts'
import { sortableProjection } from './projection.ts'
import { sortablePage, sortableRegion } from './views.ts'

const idParams = z.object({ id: z.string().min(1).max(64) })

const list = (ctx: RequestContext) => ctx.app.projection(sortableProjection)

const showSortable: Handler = function showSortable(_req, ctx) {
  const { state, position } = list(ctx)
  return page(ctx, { title: 'Sortable', body: sortablePage(state, position) })
}

/** One list for everyone: one key, so each change is rendered once for every open page. */
const sortableFeed: Handler = function sortableFeed(req, ctx) {
  const projection = list(ctx)
  return serveFeed(req, ctx, {
    key: 'sortable',
    projections: [projection],
    render: () => sortableRegion(projection.state).value,
  })
}

/**
 * A refused drop (a position outside the list, e.g. from a page that missed a change) answers
 * with the list as the server holds it, so the item the browser already moved jumps back.
 */
function rejected(ctx: RequestContext, rejection: Rejection) {
  const notice = `Cannot move the item there: ${rejection.issues.to ?? rejection.issues._form ?? 'refused'}`
  const { state, position } = list(ctx)
  return {
    page: () => layout(ctx, { title: 'Sortable', body: sortablePage(state, position, notice) }),
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
    waitFor: sortableProjection,
    ...options,
    handle(parsed, ctx: RequestContext) {
      const { id } = parseParams(ctx, idParams)
      return ctx.app.commands.handle(sortableDecider, sortableStream, command(id, parsed))
    },
  })
}

export const sortableRoutes: RouteTable = {
  '/sortable': { GET: showSortable },
  '/sortable/feed': { GET: sortableFeed },
  '/sortable/:id/move': { POST: move(moveInput, (id, { to }) => ({ type: 'MoveItem', id, to }), { rejected }) },
  '/sortable/:id/up': { POST: move(z.object({}), (id) => ({ type: 'MoveItemUp', id })) },
  '/sortable/:id/down': { POST: move(z.object({}), (id) => ({ type: 'MoveItemDown', id })) },
}

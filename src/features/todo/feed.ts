import type { Handler } from '../../core/web/http/context.ts'
import { sessionKey } from '../../core/web/session-key.ts'
import { serveFeed } from '../../core/web/sse.ts'
import { TODO_STREAM_TYPE, todoFilter } from './domain.ts'
import { listOf, todoProjection } from './projection.ts'
import { todoRegion } from './views.ts'

/**
 * The page's live region: every change to this session's list re-renders `#todo-app` whole.
 * All tabs of one session with the same filter share a key, so one render serves them all.
 * The view is built only when the feed opens: a HEAD or a refused feed reads no session.
 */
export const todoFeed: Handler = function todoFeed(req, ctx) {
  const filter = todoFilter.parse(ctx.url.searchParams.get('filter') ?? undefined)
  return serveFeed(req, ctx, () => {
    const owner = sessionKey(ctx.session)
    const lists = ctx.app.projection(todoProjection)
    return {
      key: `todo/${owner}/${filter}`,
      projections: [lists],
      isRelevant: (event) => event.stream.type === TODO_STREAM_TYPE && event.stream.id === owner,
      render: () => todoRegion(listOf(lists.state, owner), { filter }).value,
    }
  })
}

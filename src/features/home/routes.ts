import type { Handler, RouteTable } from '../../core/web/http/context.ts'
import { page } from '../../core/web/ui/layout.ts'
import { homePage } from './views.ts'

const showHome: Handler = function showHome(_req, ctx) {
  return page(ctx, {
    title: 'Ironstar',
    description: 'Reactive, event-sourced hypermedia web apps on Bun with Datastar',
    body: homePage(ctx.nav),
  })
}

export const homeRoutes: RouteTable = { '/': { GET: showHome } }

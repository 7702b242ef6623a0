import { z } from 'zod'
import type { Analytics } from '../../core/analytics/analytics.ts'
import { AnalyticsQueryError } from '../../core/analytics/query-errors.ts'
import { NotFoundError, OverloadedError, RuleViolation, ValidationError } from '../../core/errors.ts'
import type { StoredEvent } from '../../core/eventsourcing/events.ts'
import { htmlResponse } from '../../core/web/html.ts'
import { commandAccepted, commandRoute, type Rejection } from '../../core/web/http/command.ts'
import type { Handler, RequestContext, RouteTable } from '../../core/web/http/context.ts'
import { parseParams } from '../../core/web/http/input.ts'
import { sessionKey } from '../../core/web/session-key.ts'
import { serveFeed } from '../../core/web/sse.ts'
import { layout } from '../../core/web/ui/layout.ts'
import { queryDecider, queryStream, runQueryInput } from './domain.ts'
import { historyOf, isQueryEvent, type QueryEntry, queryHistoryProjection } from './history.ts'
import { analyticsOf } from './service.ts'
import { dashboardPage, dashboardRegion } from './views/dashboard.ts'
import {
  type ExploreView,
  editorForm,
  explorePage,
  exploreRegion,
  progressBox,
  type ResultView,
} from './views/explore.ts'

const idParams = z.object({ id: z.uuid() })
const pageQuery = z.object({
  q: z.uuid().optional().catch(undefined),
  /** The newest query when the page was rendered (feeds only): a newer one replaces `q`. */
  after: z.uuid().optional().catch(undefined),
  view: z.enum(['table', 'chart']).catch('table'),
})

const now = () => new Date().toISOString()

const showDashboard: Handler = async function showDashboard(_req, ctx) {
  // Render at the log's head (read-your-writes without JS); if DuckDB trails too far, show what it has.
  const head = await ctx.app.store.headPosition()
  // Latency samples are written once a second; write the pending ones so this render has them.
  const { analytics, dashboard } = analyticsOf(ctx)
  await analytics.commandSamples.flush()
  const snapshot = await dashboard.current(head).catch(() => dashboard.current())
  return htmlResponse(layout(ctx, { title: 'Analytics', body: dashboardPage(snapshot) }))
}

/** One view for everyone: every event may move a chart; the model debounces to once a second. */
const dashboardFeed: Handler = function dashboardFeed(req, ctx) {
  const { dashboard } = analyticsOf(ctx)
  return serveFeed(req, ctx, {
    key: 'analytics/dashboard',
    isRelevant: () => true,
    projections: [dashboard],
    render: () => dashboardRegion(dashboard.snapshot).value,
  })
}

const queryHistory = (ctx: RequestContext) => ctx.app.projection(queryHistoryProjection)

/** The query named by `q`, unless none is named or the visitor has run a newer one than `after`: then the newest. */
function selectedQuery(history: readonly QueryEntry[], q: string | undefined, after: string | undefined) {
  const newest = history[0]
  const ranSince = after !== undefined && newest !== undefined && newest.id !== after
  return q && !ranSince ? history.find((entry) => entry.id === q) : newest
}

function exploreView(ctx: RequestContext, extra: Partial<ExploreView> = {}): ExploreView {
  const { analytics, runner } = analyticsOf(ctx)
  const { q, after, view } = pageQuery.parse(Object.fromEntries(ctx.url.searchParams))
  const history = historyOf(queryHistory(ctx).state, sessionKey(ctx.session))
  return {
    history,
    selected: selectedQuery(history, q, after),
    view: view as ResultView,
    runner,
    sandbox: analytics.db.sandbox,
    sampleViews: analytics.sampleViews,
    ...extra,
  }
}

const showExplore: Handler = function showExplore(_req, ctx) {
  return htmlResponse(layout(ctx, { title: 'Explore', body: explorePage(exploreView(ctx)) }))
}

function ownerOf(ctx: RequestContext, event: StoredEvent): string | undefined {
  if (event.type === 'QueryRequested') return (event.data as { owner?: string }).owner
  return queryHistory(ctx).state.byId.get(event.stream.id)?.owner
}

/** Per visitor (and per selected query, newest query at render, and view): only this visitor's query events matter. */
const exploreFeed: Handler = function exploreFeed(req, ctx) {
  const owner = sessionKey(ctx.session)
  const { q, after, view } = pageQuery.parse(Object.fromEntries(ctx.url.searchParams))
  return serveFeed(req, ctx, {
    key: `analytics/explore/${owner}/${q ?? 'latest'}/${after ?? 'none'}/${view}`,
    isRelevant: (event) => isQueryEvent(event) && ownerOf(ctx, event) === owner,
    projections: [queryHistory(ctx)],
    render: () => exploreRegion(exploreView(ctx)).value,
  })
}

function rejected(ctx: RequestContext, rejection: Rejection) {
  const sql = typeof rejection.values.sql === 'string' ? rejection.values.sql : ''
  const error = rejection.issues.sql ?? rejection.issues._form ?? 'Check the query'
  const { analytics } = analyticsOf(ctx)
  return {
    page: () => layout(ctx, { title: 'Explore', body: explorePage(exploreView(ctx, { sql, error })) }),
    region: () => editorForm({ sql, error, sandbox: analytics.db.sandbox, sampleViews: analytics.sampleViews }),
  }
}

/** DuckDB's verdict on the visitor's SQL, before anything is recorded; its message belongs next to the field. */
async function checkedSql(analytics: Analytics, sql: string): Promise<string> {
  try {
    return await analytics.db.checkUntrusted(sql)
  } catch (error) {
    if (error instanceof ValidationError) throw new RuleViolation(error.message, 'not-read-only', 'sql')
    if (error instanceof AnalyticsQueryError) throw new OverloadedError(`Cannot check query: ${error.message}`)
    throw error
  }
}

const runQueryCommand = commandRoute({
  input: runQueryInput,
  rejected,
  async handle({ sql }, ctx) {
    // The place is taken first and synchronously: a request refused with 503 records nothing.
    const { analytics, runner } = analyticsOf(ctx)
    const slot = runner.reserve()
    let queryId: string
    try {
      const query = await checkedSql(analytics, sql)
      queryId = crypto.randomUUID()
      const command = { type: 'RequestQuery', queryId, owner: sessionKey(ctx.session), sql: query, at: now() } as const
      const result = await ctx.app.commands.handle(queryDecider, queryStream(queryId), command)
      // Runs in the background: the page (or its feed) shows progress, then the outcome event.
      void slot.start(ctx.app, queryId, query)
      await queryHistory(ctx).waitFor(result.position)
    } finally {
      slot.release()
    }
    return `/analytics/explore?q=${queryId}`
  },
})

/**
 * A Datastar run that was accepted morphs the editor back without the message a refused run
 * left next to the field (the feed shows the result; it never re-renders the editor). It holds
 * the query just run, as the page does after a reload.
 */
const runQuery: Handler = async function runQuery(req, ctx) {
  const response = await runQueryCommand(req, ctx)
  if (!ctx.isDatastar || response.status !== 204) return response
  const { analytics } = analyticsOf(ctx)
  const [justRun] = historyOf(queryHistory(ctx).state, sessionKey(ctx.session))
  const editor = { sql: justRun?.sql, sandbox: analytics.db.sandbox, sampleViews: analytics.sampleViews }
  return htmlResponse(editorForm(editor))
}

/** The session's own query, else 404: another session's query ids are not this one's business. */
function ownQuery(ctx: RequestContext, action: string) {
  const { id } = parseParams(ctx, idParams)
  const entry = queryHistory(ctx).state.byId.get(id)
  if (!entry || entry.owner !== sessionKey(ctx.session)) {
    throw new NotFoundError(`Cannot ${action} query "${id}": this session has no such query`)
  }
  return entry
}

const queryProgress: Handler = function queryProgress(_req, ctx) {
  return htmlResponse(progressBox(ownQuery(ctx, 'show progress of'), analyticsOf(ctx).runner))
}

const cancelQuery: Handler = async function cancelQuery(_req, ctx) {
  const { id } = ownQuery(ctx, 'cancel')
  const result = await ctx.app.commands.handle(queryDecider, queryStream(id), { type: 'CancelQuery', at: now() })
  analyticsOf(ctx).runner.cancel(id)
  if (result.position > 0) await queryHistory(ctx).waitFor(result.position)
  return commandAccepted(ctx, `/analytics/explore?q=${id}`)
}

export const analyticsRoutes: RouteTable = {
  '/analytics': { GET: showDashboard },
  '/analytics/feed': { GET: dashboardFeed },
  '/analytics/explore': { GET: showExplore, POST: runQuery },
  '/analytics/explore/feed': { GET: exploreFeed },
  '/analytics/explore/:id/cancel': { POST: cancelQuery },
  '/analytics/explore/:id/progress': { GET: queryProgress },
}

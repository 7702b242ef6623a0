import type { SandboxStatus } from '../../../core/analytics/sandbox.ts'
import { type Html, html, js } from '../../../core/web/html.ts'
import { emptyState } from '../../../core/web/ui/empty-state.ts'
import { icon } from '../../../core/web/ui/icons.ts'
import { plural } from '../../../core/web/ui/plural.ts'
import type { QueryEntry } from '../history.ts'
import type { QueryRunner } from '../runner.ts'
import { chartFigure } from './chart.ts'
import { resultTable } from './result-table.ts'

export type ResultView = 'table' | 'chart'

export interface ExploreView {
  readonly history: readonly QueryEntry[]
  /** The query shown; the newest when the URL names none. */
  readonly selected: QueryEntry | undefined
  readonly view: ResultView
  readonly runner: QueryRunner
  readonly sandbox: SandboxStatus | null
  readonly sampleViews: readonly string[]
  readonly sql?: string
  readonly error?: string
}

const EXAMPLE_SQL = `SELECT type, count(*) AS events
FROM events
GROUP BY type
ORDER BY events DESC`

function link(entry: QueryEntry | undefined, view: ResultView): string {
  const params = new URLSearchParams()
  if (entry) params.set('q', entry.id)
  if (view === 'chart') params.set('view', 'chart')
  const query = params.toString()
  return query ? `/analytics/explore?${query}` : '/analytics/explore'
}

function statusBadge(entry: QueryEntry, runner: QueryRunner): Html {
  if (entry.status === 'running' && !runner.isRunning(entry.id))
    return html`<span class="badge badge--warning">interrupted</span>`
  const tone = {
    none: '',
    running: 'badge--brand',
    completed: 'badge--success',
    failed: 'badge--danger',
    cancelled: 'badge--warning',
  }[entry.status]
  return html`<span class="badge ${tone}">${entry.status}</span>`
}

/**
 * Elapsed time and DuckDB's own progress estimate. Progress is not an event, so the feed does
 * not carry it: with Datastar the box polls its own route twice a second while the query runs,
 * and the answer without the poll attribute (query finished) stops it.
 */
export function progressBox(entry: QueryEntry, runner: QueryRunner): Html {
  const progress = runner.progress(entry.id)
  const elapsed = runner.elapsedMs(entry.id)
  const isRunning = elapsed !== null
  const poll = `/analytics/explore/${encodeURIComponent(entry.id)}/progress`
  return html`<div id="progress-${entry.id}" class="analytics-progress" ${isRunning ? html`data-on-interval__duration.500ms="@get(${js(poll)})"` : ''}>
    <p><span class="spin">${icon('loader-circle')}</span> ${isRunning ? html`Running for ${(elapsed / 1000).toFixed(1)} s` : 'Finishing'}${progress === null ? '' : html` · ${progress}% by DuckDB's estimate`}</p>
    ${progress === null ? html`<progress aria-label="Query running"></progress>` : html`<progress max="100" value="${progress}" aria-label="Query progress"></progress>`}
  </div>`
}

function running(entry: QueryEntry, runner: QueryRunner): Html {
  const cancel = `/analytics/explore/${encodeURIComponent(entry.id)}/cancel`
  return html`<div class="analytics-running" role="status">
    ${progressBox(entry, runner)}
    <form method="post" action="${cancel}" data-on:submit="@post(${js(cancel)})">
      <button type="submit" class="button button--danger">${icon('x')}<span>Cancel</span></button>
    </form>
  </div>`
}

function outcome(view: ExploreView): Html {
  const entry = view.selected
  if (!entry) return emptyState({ icon: 'play', title: 'No result yet', hint: 'Run a query to see its result here.' })
  const header = html`<h2 class="analytics-result__title">Result ${statusBadge(entry, view.runner)}</h2><pre class="analytics-sql"><code>${entry.sql}</code></pre>`
  if (entry.status === 'running') {
    return view.runner.isRunning(entry.id)
      ? html`${header}${running(entry, view.runner)}`
      : html`${header}<p class="alert alert--warning">The server restarted while this query ran. Run it again.</p>`
  }
  if (entry.status === 'failed') return html`${header}<p class="alert alert--danger" role="alert">${entry.message}</p>`
  if (entry.status === 'cancelled') return html`${header}<p class="alert alert--warning">Cancelled.</p>`
  const result = view.runner.result(entry.id)
  const summary = html`<p class="muted">${plural(entry.rows ?? 0, 'row')} in ${entry.durationMs} ms${entry.truncated ? ' (cut at a limit)' : ''}.</p>`
  if (!result)
    return html`${header}${summary}<p class="muted">The rows are no longer in memory (only the last few results are kept). Run the query again to see them.</p>`
  const tabs = html`<nav class="analytics-tabs" aria-label="Result view">
    <a href="${link(entry, 'table')}" ${view.view === 'table' ? html`aria-current="page"` : ''}>${icon('table')} Table</a>
    <a href="${link(entry, 'chart')}" ${view.view === 'chart' ? html`aria-current="page"` : ''}>${icon('chart-line')} Chart</a>
  </nav>`
  const body =
    view.view === 'chart'
      ? chartFigure(`result-chart-${entry.id}`, 'Result as a chart', result)
      : resultTable(result, 'Result')
  return html`${header}${summary}${tabs}${body}`
}

function history(view: ExploreView): Html {
  if (view.history.length === 0) return emptyState({ icon: 'database', title: 'No queries yet' })
  return html`<ol class="analytics-history">
    ${view.history.map(
      (entry) => html`<li ${entry.id === view.selected?.id ? html`aria-current="true"` : ''}>
        <a href="${link(entry, view.view)}"><code>${entry.sql.length > 80 ? `${entry.sql.slice(0, 80)}…` : entry.sql}</code></a>
        ${statusBadge(entry, view.runner)}
        ${entry.status === 'completed' ? html`<span class="muted">${plural(entry.rows ?? 0, 'row')} · ${entry.durationMs} ms</span>` : ''}
      </li>`,
    )}
  </ol>`
}

/**
 * The region the feed re-renders: result and history (the editor stays as the user left it).
 * Its `_running` signal disables Run in the editor while one of the visitor's queries runs.
 */
export function exploreRegion(view: ExploreView): Html {
  const isRunning = view.history.some((entry) => entry.status === 'running' && view.runner.isRunning(entry.id))
  return html`<div id="analytics-explore" class="analytics-explore" data-signals:_running="${String(isRunning)}">
    <section class="card analytics-result" aria-live="polite">${outcome(view)}</section>
    <section class="card"><h2>Your recent queries</h2>${history(view)}</section>
  </div>`
}

function sandboxNote(view: Pick<ExploreView, 'sandbox' | 'sampleViews'>): Html {
  const sandbox = view.sandbox
  return html`<details class="analytics-help">
    <summary>What can I query?</summary>
    <p>Read-only SQL (DuckDB dialect): <code>SELECT</code>, <code>WITH</code>, <code>FROM</code>, <code>VALUES</code>, <code>DESCRIBE</code>, <code>SHOW TABLES</code>, <code>EXPLAIN</code> (without <code>ANALYZE</code>). Tables: <code>events</code> (every event's position, stream type, type, version and time), <code>todo_lifecycle</code>, <code>commands</code> (latency samples). What visitors typed, and which session did what, is not shown here: no payloads, stream ids or list ids.</p>
    ${view.sampleViews.length > 0 ? html`<p>Sample data: ${view.sampleViews.map((name, i) => html`${i > 0 ? ', ' : ''}<code>${name}</code>`)}.</p>` : ''}
    <p>Queries stop after the time limit, return at most the row limit and the size limit, and may read only the sample files.</p>
    <p>${sandbox?.httpfs ? html`Remote datasets: allowed under ${sandbox.remotePrefixes.join(', ')}.` : html`Remote datasets (httpfs) are not available on this server: ${sandbox?.httpfsProblem ?? 'analytics is starting'}.`}</p>
  </details>`
}

/**
 * The feed shows what the page shows (`q`) until this visitor runs a query newer than the
 * page's newest (`after`): then it shows that one, so Run always brings its own result.
 */
function feedUrl(view: ExploreView): string {
  const params = new URLSearchParams()
  if (view.selected) params.set('q', view.selected.id)
  const newest = view.history[0]
  if (newest) params.set('after', newest.id)
  params.set('view', view.view)
  return `/analytics/explore/feed?${params}`
}

export function explorePage(view: ExploreView): Html {
  const feed = feedUrl(view)
  return html`<div class="example analytics-page" data-init="@get(${js(feed)})">
    <header class="example__header">
      <h1>${icon('database')} Explore</h1>
      <p class="muted">Ask the event log a question in SQL. Each query runs in the background as a <code>QuerySession</code>; you can cancel it.</p>
    </header>
    ${editorForm({ ...view, sql: view.sql ?? view.selected?.sql })}
    ${exploreRegion(view)}
  </div>`
}

/** The SQL form; also the region a refused Datastar post morphs (it keeps the text typed). */
export function editorForm(view: Pick<ExploreView, 'sql' | 'error' | 'sandbox' | 'sampleViews'>): Html {
  return html`<form id="analytics-editor" class="card analytics-editor" method="post" action="/analytics/explore" data-indicator:_querying data-on:submit="@post('/analytics/explore', {contentType: 'form'})">
      <div class="field">
        <label for="sql">SQL</label>
        <textarea id="sql" name="sql" rows="6" spellcheck="false" ${view.error ? html`aria-invalid="true" aria-describedby="sql-error"` : ''}>${view.sql ?? EXAMPLE_SQL}</textarea>
        ${view.error ? html`<p class="field__error" id="sql-error">${icon('circle-alert')} ${view.error}</p>` : ''}
      </div>
      <button type="submit" class="button button--primary" data-attr:aria-busy="$_querying" data-attr:disabled="$_querying || $_running">${icon('play')}<span>Run</span></button>
      ${sandboxNote(view)}
    </form>`
}

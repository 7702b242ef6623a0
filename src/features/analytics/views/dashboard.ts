import type { QueryResult } from '../../../core/analytics/query-result.ts'
import { type Html, html, js } from '../../../core/web/html.ts'
import { icon } from '../../../core/web/ui/icons.ts'
import type { DashboardSnapshot } from '../dashboard-model.ts'
import { WINDOW_MINUTES } from '../dashboard-queries.ts'
import { chartFigure } from './chart.ts'

/**
 * The table under a chart, for readers without JavaScript: newest first, and minutes where
 * nothing happened left out (the chart shows them as zero; the table would be mostly zeros).
 * None left means the window was quiet: the card shows the empty state, not a flat line.
 */
function busyRowsFirst(result: QueryResult): QueryResult['rows'] {
  const numeric = result.columns.flatMap((column, index) => (column.isNumeric ? [index] : []))
  return result.rows.filter((row) => numeric.some((index) => row[index] !== 0)).reverse()
}

const QUIET = {
  icon: 'chart-line',
  title: `Nothing in the last ${WINDOW_MINUTES} minutes`,
  hint: 'Use the other examples; this chart fills in as they write events.',
} as const

/** The region the feed re-renders whole: one card per chart. */
export function dashboardRegion(snapshot: DashboardSnapshot): Html {
  return html`<div id="analytics-dashboard" class="analytics-grid">
    ${snapshot.data.map(
      ({ query, result, error }) => html`<article class="card analytics-card" id="card-${query.id}">
        ${
          error || !result
            ? html`<h2>${query.title}</h2><p class="alert alert--danger" role="alert">${error ?? 'No data'}</p>`
            : chartFigure(`chart-${query.id}`, query.title, result, {
                ...query.chart,
                tableRows: query.chart.kind === 'line' ? busyRowsFirst(result) : result.rows,
                empty: QUIET,
              })
        }
      </article>`,
    )}
    <p class="muted analytics-meta">Event log position ${snapshot.position.toLocaleString('en-US')} · last ${WINDOW_MINUTES} minutes · updated at most once a second</p>
  </div>`
}

export function dashboardPage(snapshot: DashboardSnapshot): Html {
  return html`<div class="example analytics-page" data-init="@get(${js(`/analytics/feed?since=${snapshot.position}`)})">
    <header class="example__header">
      <h1>${icon('chart-line')} Analytics</h1>
      <p class="muted">The event log, copied into DuckDB as it is written, and charted live. Use the other examples and watch the charts move.
        <a href="/analytics/explore">Ask your own question in SQL</a>.</p>
    </header>
    ${dashboardRegion(snapshot)}
  </div>`
}

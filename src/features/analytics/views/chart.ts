import type { QueryResult } from '../../../core/analytics/query-result.ts'
import { type Html, html } from '../../../core/web/html.ts'
import { type EmptyStateOptions, emptyState } from '../../../core/web/ui/empty-state.ts'
import { type ChartChoice, chartSpec } from '../chart-spec.ts'
import { noRows, resultTable } from './result-table.ts'

/**
 * `<ironstar-chart>` with the data in its `spec` attribute and the same data as a table inside.
 * Without JavaScript the table is what shows; with it, the component draws into the
 * `data-ignore-morph` plot box (uPlot's DOM, which a morph must not touch) and hides the table
 * visually. A feed morph changes only `spec`, which the component redraws from.
 */
export interface ChartFigureOptions extends ChartChoice {
  /** The rows the table shows, when they should differ from the chart's (e.g. newest first). */
  readonly tableRows?: QueryResult['rows']
  /** What shows instead of chart and table when `tableRows` (or the result) has none. */
  readonly empty?: EmptyStateOptions
}

function figure(title: string, body: Html): Html {
  return html`<figure class="chart-figure">
    <figcaption>${title}</figcaption>
    ${body}
  </figure>`
}

export function chartFigure(id: string, title: string, result: QueryResult, options: ChartFigureOptions = {}): Html {
  const { tableRows, empty, ...choice } = options
  const rows = tableRows ?? result.rows
  if (rows.length === 0) return figure(title, empty ? emptyState(empty) : noRows(result))
  const table = html`<div class="chart-data">${resultTable({ ...result, rows }, title)}</div>`
  const spec = chartSpec(result, choice)
  if (!spec) return figure(title, table)
  return figure(
    title,
    html`<ironstar-chart id="${id}" spec="${JSON.stringify(spec)}">
      <div class="chart-plot" data-ignore-morph></div>
      ${table}
    </ironstar-chart>`,
  )
}

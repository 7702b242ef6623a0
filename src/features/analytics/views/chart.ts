import type { QueryResult } from '../../../core/analytics/query-result.ts'
import { type Html, html } from '../../../core/web/html.ts'
import { type ChartChoice, chartSpec } from '../chart-spec.ts'
import { resultTable } from './result-table.ts'

/**
 * `<ironstar-chart>` with the data in its `spec` attribute and the same data as a table inside.
 * Without JavaScript the table is what shows; with it, the component draws into the
 * `data-ignore-morph` plot box (uPlot's DOM, which a morph must not touch) and hides the table
 * visually. A feed morph changes only `spec`, which the component redraws from.
 */
export interface ChartFigureOptions extends ChartChoice {
  /** The rows the table shows, when they should differ from the chart's (e.g. newest first). */
  readonly tableRows?: QueryResult['rows']
}

export function chartFigure(id: string, title: string, result: QueryResult, options: ChartFigureOptions = {}): Html {
  const { tableRows, ...choice } = options
  const spec = chartSpec(result, choice)
  const table = resultTable(tableRows ? { ...result, rows: tableRows } : result, title)
  return html`<figure class="chart-figure">
    <figcaption>${title}</figcaption>
    ${
      spec
        ? html`<ironstar-chart id="${id}" spec="${JSON.stringify(spec)}">
        <div class="chart-plot" data-ignore-morph></div>
        <div class="chart-data">${table}</div>
      </ironstar-chart>`
        : html`<div class="chart-data">${table}</div>`
    }
  </figure>`
}

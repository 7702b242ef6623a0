import type { QueryResult } from '../../../core/analytics/query-result.ts'
import { type Html, html } from '../../../core/html.ts'

/** Rows rendered into HTML at most; the rest of a large result is summarised, not sent. */
export const MAX_TABLE_ROWS = 500

function cell(value: unknown): string {
  if (value === null || value === undefined) return '∅'
  if (typeof value === 'number')
    return Number.isInteger(value)
      ? value.toLocaleString('en-US')
      : value.toLocaleString('en-US', { maximumFractionDigits: 4 })
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** The result as a plain table: what every page shows with JavaScript off. */
export function resultTable(result: QueryResult, caption: string): Html {
  const shown = result.rows.slice(0, MAX_TABLE_ROWS)
  const more = result.rows.length - shown.length
  return html`<div class="table-wrap">
    <table class="table analytics-table">
      <caption class="visually-hidden">${caption}</caption>
      <thead><tr>${result.columns.map((column) => html`<th scope="col" title="${column.type}">${column.name}</th>`)}</tr></thead>
      <tbody>
        ${shown.map(
          (row) =>
            html`<tr>${row.map((value, i) => html`<td class="${result.columns[i]?.isNumeric ? 'is-numeric' : ''}">${cell(value)}</td>`)}</tr>`,
        )}
        ${shown.length === 0 ? html`<tr><td colspan="${Math.max(1, result.columns.length)}" class="muted">No rows</td></tr>` : ''}
      </tbody>
    </table>
  </div>
  ${more > 0 ? html`<p class="muted">Showing the first ${MAX_TABLE_ROWS.toLocaleString('en-US')} of ${result.rows.length.toLocaleString('en-US')} rows.</p>` : ''}
  ${result.truncated ? html`<p class="muted">The result was cut at the row limit of ${result.rows.length.toLocaleString('en-US')} rows.</p>` : ''}`
}

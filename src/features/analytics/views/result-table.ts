import type { QueryResult } from '../../../core/analytics/query-result.ts'
import { type Html, html } from '../../../core/web/html.ts'
import { emptyState } from '../../../core/web/ui/empty-state.ts'
import { plural } from '../../../core/web/ui/plural.ts'

/** Rows rendered into HTML at most; the rest of a large result is summarised, not sent. */
export const MAX_TABLE_ROWS = 500
/** Columns rendered at most. */
export const MAX_TABLE_COLUMNS = 100
/** Characters of one cell shown; a longer value is cut with an ellipsis. */
export const MAX_CELL_CHARS = 200
/** Characters one table's cells may take, markup included: a page stays small whatever the result. */
export const MAX_TABLE_CHARS = 256 * 1024
/** What a cell costs beyond its text: `<td class="is-numeric"></td>`. */
const CELL_MARKUP = 32

/** The cell's length once escaped, counting every escaped character as the longest escape. */
const escapedLength = (text: string) => text.replace(/[&<>"']/g, '&quot;').length

function cell(value: unknown): string {
  if (value === null || value === undefined) return '∅'
  if (typeof value === 'number')
    return Number.isInteger(value)
      ? value.toLocaleString('en-US')
      : value.toLocaleString('en-US', { maximumFractionDigits: 4 })
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value)
  return text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS)}…` : text
}

/** The cells to render: rows and columns within their counts, rows until the character budget is spent. */
function visibleCells(result: QueryResult): string[][] {
  const columns = Math.min(result.columns.length, MAX_TABLE_COLUMNS)
  const rows: string[][] = []
  let chars = 0
  for (const row of result.rows.slice(0, MAX_TABLE_ROWS)) {
    const cells = row.slice(0, columns).map(cell)
    chars += cells.reduce((sum, text) => sum + escapedLength(text) + CELL_MARKUP, 0)
    if (chars > MAX_TABLE_CHARS) break
    rows.push(cells)
  }
  return rows
}

function truncationNote(result: QueryResult): Html | string {
  if (result.truncatedBy === 'bytes') {
    return html`<p class="muted">The result was cut at the size limit after ${plural(result.rows.length, 'row')}.</p>`
  }
  if (result.truncated) {
    return html`<p class="muted">The result was cut at the row limit of ${plural(result.rows.length, 'row')}.</p>`
  }
  return ''
}

/** A result without rows: the page's empty state, naming the columns it would have had. */
export function noRows(result: QueryResult): Html {
  const columns = result.columns.map((column) => column.name).join(', ')
  return emptyState({ icon: 'table', title: 'No rows', hint: columns ? `Columns: ${columns}` : undefined })
}

/**
 * The result as a plain table: what every page shows with JavaScript off. The box scrolls
 * when the table is wider or longer than it, so it is a labelled region the keyboard can
 * focus (and scroll) too.
 */
export function resultTable(result: QueryResult, caption: string): Html {
  // A result cut at the size limit can have no rows left: the empty state still says why.
  if (result.rows.length === 0) return html`${noRows(result)}${truncationNote(result)}`
  const shown = visibleCells(result)
  const columns = result.columns.slice(0, MAX_TABLE_COLUMNS)
  const moreRows = result.rows.length - shown.length
  const moreColumns = result.columns.length - columns.length
  return html`<div class="table-wrap" role="region" aria-label="${caption}" tabindex="0">
    <table class="table analytics-table">
      <caption class="visually-hidden">${caption}</caption>
      <thead><tr>${columns.map((column) => html`<th scope="col" title="${column.type}">${cell(column.name)}</th>`)}</tr></thead>
      <tbody>
        ${shown.map(
          (row) =>
            html`<tr>${row.map((text, i) => html`<td class="${result.columns[i]?.isNumeric ? 'is-numeric' : ''}">${text}</td>`)}</tr>`,
        )}
      </tbody>
    </table>
  </div>
  ${moreRows > 0 ? html`<p class="muted">Showing the first ${shown.length.toLocaleString('en-US')} of ${plural(result.rows.length, 'row')}.</p>` : ''}
  ${moreColumns > 0 ? html`<p class="muted">Showing the first ${columns.length} of ${plural(result.columns.length, 'column')}.</p>` : ''}
  ${truncationNote(result)}`
}

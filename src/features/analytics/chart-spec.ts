import type { QueryResult } from '../../core/analytics/query-result.ts'
import type { Json } from '../../core/eventsourcing/events.ts'

/** What `<ironstar-chart>` draws; serialised into its `spec` attribute. */
export interface ChartSpec {
  readonly kind: 'line' | 'bars'
  readonly xLabel: string
  /** Epoch seconds for a time axis, numbers for a numeric axis, else category labels. */
  readonly x: readonly (number | string)[]
  readonly xIsTime: boolean
  readonly series: readonly { readonly label: string; readonly values: readonly (number | null)[] }[]
}

/** Most points a chart carries in its attribute; beyond this the table is the honest view. */
export const MAX_CHART_POINTS = 2_000
const MAX_SERIES = 12
/** Characters of a category or series label the attribute carries; longer ones are cut. */
export const MAX_LABEL_CHARS = 100

const label = (value: Json | undefined): string => {
  const text = String(value ?? '')
  return text.length > MAX_LABEL_CHARS ? `${text.slice(0, MAX_LABEL_CHARS)}…` : text
}

const TIME_TYPES = /^(TIMESTAMP|DATE)/

function timeSeconds(value: Json): number | null {
  if (typeof value !== 'string') return null
  const iso = value.includes('T') ? value : `${value.replace(' ', 'T')}${value.length > 10 ? 'Z' : 'T00:00:00Z'}`
  const ms = Date.parse(iso)
  return Number.isFinite(ms) ? ms / 1000 : null
}

function numberOrNull(value: Json | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

export interface ChartChoice {
  readonly kind?: 'line' | 'bars'
  readonly x?: string
  readonly y?: readonly string[]
  /** A column whose values split the rows into one series each (long → wide). */
  readonly seriesBy?: string
}

/**
 * Turns a result into chart data: the first column (or `x`) is the axis, numeric columns are
 * series. Null when nothing can be plotted (no numeric column, or too many points).
 */
export function chartSpec(result: QueryResult, choice: ChartChoice = {}): ChartSpec | null {
  const xIndex = choice.x ? result.columns.findIndex((c) => c.name === choice.x) : 0
  const xColumn = result.columns[xIndex]
  if (!xColumn || result.rows.length === 0 || result.rows.length > MAX_CHART_POINTS) return null
  const xIsTime = TIME_TYPES.test(xColumn.type)
  const kind = choice.kind ?? (xIsTime || xColumn.isNumeric ? 'line' : 'bars')
  const toX = (value: Json | undefined): number | string =>
    xIsTime ? (timeSeconds(value ?? null) ?? 0) : xColumn.isNumeric ? Number(value) : label(value)

  const seriesIndex = choice.seriesBy ? result.columns.findIndex((c) => c.name === choice.seriesBy) : -1
  const yNames = choice.y ?? result.columns.filter((c, i) => c.isNumeric && i !== xIndex).map((c) => c.name)
  const yIndexes = yNames.map((name) => result.columns.findIndex((c) => c.name === name)).filter((i) => i >= 0)
  if (yIndexes.length === 0) return null

  if (seriesIndex < 0) {
    return {
      kind,
      xLabel: label(xColumn.name),
      x: result.rows.map((row) => toX(row[xIndex])),
      xIsTime,
      series: yIndexes.slice(0, MAX_SERIES).map((i) => ({
        label: label(result.columns[i]?.name),
        values: result.rows.map((row) => numberOrNull(row[i])),
      })),
    }
  }
  // Long to wide: one x per distinct axis value, one series per distinct split value.
  const xs = [...new Set(result.rows.map((row) => toX(row[xIndex])))]
  const position = new Map(xs.map((x, i) => [x, i]))
  const yIndex = yIndexes[0] as number
  const bySeries = new Map<string, (number | null)[]>()
  for (const row of result.rows) {
    const series = label(row[seriesIndex])
    let values = bySeries.get(series)
    if (!values) {
      if (bySeries.size >= MAX_SERIES) continue
      values = xs.map(() => 0)
      bySeries.set(series, values)
    }
    values[position.get(toX(row[xIndex])) ?? 0] = numberOrNull(row[yIndex])
  }
  return {
    kind,
    xLabel: label(xColumn.name),
    x: xs,
    xIsTime,
    series: [...bySeries].map(([label, values]) => ({ label, values })),
  }
}

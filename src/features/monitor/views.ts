import { type Html, html, js } from '../../core/web/html.ts'
import { emptyState } from '../../core/web/ui/empty-state.ts'
import { plural } from '../../core/web/ui/plural.ts'
import { formatBytes, formatDuration, type Sample, sparklinePoints } from './samples.ts'

interface Tile {
  readonly id: string
  readonly label: string
  readonly value: string
  readonly detail?: string
  readonly series?: readonly number[]
  readonly max?: number
  /** Scale from the smallest value instead of 0 (memory: show the wiggle, not the bulk). */
  readonly isRelative?: boolean
}

const HEIGHT = 28

/** The last minute as a line over a faint area; an empty track shows where the minute will fill in. */
function sparkline(values: readonly number[], max: number | undefined, isRelative = false): Html {
  const low = isRelative && values.length > 0 ? Math.min(...values) : 0
  const high = max ?? (isRelative && values.length > 0 ? Math.max(...values) * 1.01 + 1 : undefined)
  const points = sparklinePoints(values, { min: low, ...(high === undefined ? {} : { max: high }), height: HEIGHT })
  const first = points.split(' ')[0]?.split(',')[0] ?? '120'
  const area = points ? `${first},${HEIGHT} ${points} 120,${HEIGHT}` : ''
  return html`<svg class="sparkline" viewBox="0 -2 120 ${HEIGHT + 4}" preserveAspectRatio="none" aria-hidden="true" focusable="false">
    <rect class="sparkline__track" x="0" y="0" width="120" height="${HEIGHT}" rx="2"/>
    ${area ? html`<polygon class="sparkline__area" points="${area}"/>` : ''}
    <polyline class="sparkline__line" points="${points}" vector-effect="non-scaling-stroke"/>
  </svg>`
}

function tile({ id, label, value, detail, series, max, isRelative }: Tile): Html {
  return html`<article id="monitor-${id}" class="monitor-tile card">
    <h2>${label}</h2>
    <p class="monitor-tile__value">${value}</p>
    ${detail ? html`<p class="monitor-tile__detail muted">${detail}</p>` : ''}
    ${series ? sparkline(series, max, isRelative) : ''}
  </article>`
}

/** The region the feed replaces every second (`#monitor-tiles`). */
export function monitorRegion(history: readonly Sample[]): Html {
  const now = history.at(-1)
  if (!now)
    return html`<div id="monitor-tiles">${emptyState({ icon: 'activity', title: 'Collecting the first sample…' })}</div>`
  const series = (pick: (s: Sample) => number) => history.map(pick)
  const tiles: Tile[] = [
    {
      id: 'memory',
      label: 'Memory (RSS)',
      value: formatBytes(now.rssBytes),
      detail: `heap ${formatBytes(now.heapUsedBytes)}`,
      series: series((s) => s.rssBytes),
      isRelative: true,
    },
    {
      id: 'cpu',
      label: 'CPU',
      value: `${now.cpuPercent.toFixed(1)} %`,
      detail: `load ${now.load1.toFixed(2)} on ${now.cores} cores`,
      series: series((s) => s.cpuPercent),
      max: 100 * Math.max(1, now.cores),
    },
    {
      id: 'events',
      label: 'Events appended',
      value: `${now.eventsPerSecond.toFixed(0)}/s`,
      detail: `position ${now.position.toLocaleString('en-US')}`,
      series: series((s) => s.eventsPerSecond),
    },
    { id: 'sse', label: 'SSE connections', value: String(now.sseConnections), series: series((s) => s.sseConnections) },
    {
      id: 'lag',
      label: 'Projection lag',
      value: plural(now.projectionLag, 'event'),
      detail: 'behind the newest event',
      series: series((s) => s.projectionLag),
    },
    {
      id: 'ring',
      label: 'Ring lag count',
      value: String(now.laggedTotal),
      detail: 'subscribers that fell behind the ring',
    },
    { id: 'uptime', label: 'Uptime', value: formatDuration(now.uptimeSeconds) },
  ]
  return html`<div id="monitor-tiles" class="monitor-grid">${tiles.map(tile)}</div>`
}

export function monitorPage(history: readonly Sample[]): Html {
  return html`<div class="example example--dashboard monitor-page" data-init="@get(${js('/monitor/feed')})">
    <header class="example__header">
      <h1>Monitor</h1>
      <p class="muted">This server, refreshed every second, with the last minute as sparklines. It doubles as the operator's dashboard. Without JavaScript, reload to refresh.</p>
    </header>
    ${monitorRegion(history)}
  </div>`
}

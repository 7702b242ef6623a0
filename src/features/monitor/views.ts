import { type Html, html, js } from '../../core/html.ts'
import { icon } from '../../core/ui/icons.ts'
import { formatBytes, formatDuration, type Sample, sparklinePoints } from './samples.ts'

interface Tile {
  readonly id: string
  readonly label: string
  readonly value: string
  readonly detail?: string
  readonly series?: readonly number[]
  readonly max?: number
}

function sparkline(values: readonly number[], max: number | undefined): Html {
  const points = sparklinePoints(values, max === undefined ? {} : { max })
  return html`<svg class="sparkline" viewBox="0 -2 120 32" preserveAspectRatio="none" aria-hidden="true" focusable="false">
    <polyline points="${points}" fill="none" stroke="currentColor" stroke-width="1.5" vector-effect="non-scaling-stroke"/>
  </svg>`
}

function tile({ id, label, value, detail, series, max }: Tile): Html {
  return html`<article id="monitor-${id}" class="monitor-tile card">
    <h2>${label}</h2>
    <p class="monitor-tile__value">${value}</p>
    ${detail ? html`<p class="monitor-tile__detail muted">${detail}</p>` : ''}
    ${series ? sparkline(series, max) : ''}
  </article>`
}

/** The region the feed replaces every second (`#monitor-tiles`). */
export function monitorRegion(history: readonly Sample[]): Html {
  const now = history.at(-1)
  if (!now) return html`<div id="monitor-tiles" class="monitor-grid"><p class="muted">Collecting the first sample…</p></div>`
  const series = (pick: (s: Sample) => number) => history.map(pick)
  const tiles: Tile[] = [
    { id: 'memory', label: 'Memory (RSS)', value: formatBytes(now.rssBytes), detail: `heap ${formatBytes(now.heapUsedBytes)}`, series: series((s) => s.rssBytes) },
    { id: 'cpu', label: 'CPU', value: `${now.cpuPercent.toFixed(1)} %`, detail: `load ${now.load1.toFixed(2)} on ${now.cores} cores`, series: series((s) => s.cpuPercent), max: 100 * Math.max(1, now.cores) },
    { id: 'events', label: 'Events appended', value: `${now.eventsPerSecond.toFixed(0)}/s`, detail: `position ${now.position.toLocaleString('en-US')}`, series: series((s) => s.eventsPerSecond) },
    { id: 'sse', label: 'Open SSE connections', value: String(now.sseConnections), series: series((s) => s.sseConnections) },
    { id: 'lag', label: 'Projection lag', value: `${now.projectionLag} events`, detail: 'behind the newest event', series: series((s) => s.projectionLag) },
    { id: 'ring', label: 'Ring lag count', value: String(now.laggedTotal), detail: 'subscribers that fell behind the ring' },
    { id: 'uptime', label: 'Uptime', value: formatDuration(now.uptimeSeconds) },
  ]
  return html`<div id="monitor-tiles" class="monitor-grid">${tiles.map(tile)}</div>`
}

export function monitorPage(history: readonly Sample[]): Html {
  return html`<div class="example monitor-page" data-init="@get(${js('/monitor/feed')})">
    <header class="example__header">
      <h1>${icon('activity')} Monitor</h1>
      <p class="muted">This server, refreshed every second, with the last minute as sparklines. It doubles as the operator's dashboard. Without JavaScript, reload to refresh.</p>
    </header>
    ${monitorRegion(history)}
  </div>`
}

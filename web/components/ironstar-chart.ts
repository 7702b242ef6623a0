import { ReactiveElement } from 'lit'
import uPlot from 'uplot'

/** What the server puts in `spec` (see src/features/analytics/chart-spec.ts; web/ never imports src/). */
interface ChartSpec {
  readonly kind: 'line' | 'bars'
  readonly xLabel: string
  readonly x: readonly (number | string)[]
  readonly xIsTime: boolean
  readonly series: readonly { readonly label: string; readonly values: readonly (number | null)[] }[]
}

// Open Props hues that read on light and dark surfaces alike.
const COLOURS = ['--indigo-6', '--teal-6', '--orange-6', '--pink-6', '--lime-7', '--cyan-6', '--grape-6', '--yellow-7']

// Tick steps for whole numbers (1, 2, 5, 10, 20, 50, ...): a count has no tick at 0.25.
const WHOLE_STEPS = Array.from({ length: 16 }, (_, power) => [1, 2, 5].map((step) => step * 10 ** power)).flat()

function isWholeNumbers(spec: ChartSpec): boolean {
  return spec.series.every((series) => series.values.every((value) => value === null || Number.isInteger(value)))
}

function parse(text: string | null): ChartSpec | null {
  if (!text) return null
  try {
    const spec = JSON.parse(text) as ChartSpec
    return Array.isArray(spec.x) && Array.isArray(spec.series) ? spec : null
  } catch {
    return null
  }
}

/**
 * `<ironstar-chart spec="…">` draws the server's data with uPlot (small, fast, canvas, no
 * dependencies, actively kept up). Light DOM: it draws into its `.chart-plot` child, which the
 * server marks `data-ignore-morph` so a Datastar morph never touches uPlot's own DOM; a morph
 * only changes `spec`, and the chart redraws from it. The server's table stays in the DOM for
 * screen readers (visually hidden while the chart shows) and is all there is with JS off.
 * It is a ReactiveElement, not a LitElement: a LitElement renders a marker comment into its
 * light DOM, which a server morph of the children removes, and Lit then throws.
 */
export class IronstarChart extends ReactiveElement {
  static override properties = { spec: { type: String } }

  declare spec: string | null
  #plot: uPlot | null = null
  #resize: ResizeObserver | null = null

  protected override createRenderRoot(): HTMLElement {
    return this
  }

  override connectedCallback(): void {
    super.connectedCallback()
    const box = this.#box()
    if (box) {
      this.#resize = new ResizeObserver(() => this.#plot?.setSize(this.#size(box)))
      this.#resize.observe(box)
    }
  }

  override disconnectedCallback(): void {
    this.#resize?.disconnect()
    this.#resize = null
    this.#plot?.destroy()
    this.#plot = null
    super.disconnectedCallback()
  }

  protected override updated(): void {
    this.#draw()
  }

  #box(): HTMLElement | null {
    return this.querySelector<HTMLElement>('.chart-plot')
  }

  #size(box: HTMLElement): { width: number; height: number } {
    return { width: Math.max(240, box.clientWidth), height: 240 }
  }

  #draw(): void {
    const box = this.#box()
    const spec = parse(this.spec)
    if (!box || !spec) return
    // Categories become 0..n-1 on the axis, labelled with their names.
    const xs = spec.x.map((value, index) => (typeof value === 'number' ? value : index))
    const data = [xs, ...spec.series.map((series) => series.values.map((v) => v))] as uPlot.AlignedData
    const wholeNumbers = isWholeNumbers(spec)
    const signature = `${spec.kind}|${spec.xIsTime}|${wholeNumbers}|${spec.series.map((s) => s.label).join(',')}`
    if (this.#plot && this.#plot.root.dataset.signature === signature) {
      this.#plot.setData(data)
      return
    }
    this.#plot?.destroy()
    const style = getComputedStyle(this)
    const colour = (i: number) => style.getPropertyValue(COLOURS[i % COLOURS.length] as string).trim() || '#4c6ef5'
    const ink = style.getPropertyValue('--text-2').trim() || '#666'
    const categories = spec.x.some((value) => typeof value === 'string')
    // Two bar series sit side by side (left and right of the tick); more overlap, translucent.
    const barsFor = (i: number) => {
      const pair = spec.series.length === 2
      return uPlot.paths.bars?.({ size: [pair ? 0.35 : 0.6, 64], align: pair ? (i === 0 ? -1 : 1) : 0 })
    }
    this.#plot = new uPlot(
      {
        ...this.#size(box),
        scales: {
          x: {
            time: spec.xIsTime,
            // Categories sit at 0..n-1; half a slot of margin keeps the outer bars whole.
            ...(categories ? { range: [-0.5, spec.x.length - 0.5] as uPlot.Range.MinMax } : {}),
          },
          // Counts and latencies: bars must grow from zero to be read honestly.
          y: {
            range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => [
              Math.min(0, min),
              max > 0 ? max * 1.1 : 1,
            ],
          },
        },
        axes: [
          {
            stroke: ink,
            label: spec.xLabel,
            ...(categories
              ? {
                  splits: () => spec.x.map((_, index) => index),
                  values: (_u: uPlot, ticks: number[]) => ticks.map((t) => String(spec.x[t] ?? '')),
                }
              : {}),
          },
          { stroke: ink, ...(wholeNumbers ? { incrs: WHOLE_STEPS } : {}) },
        ],
        series: [
          { label: spec.xLabel },
          ...spec.series.map((series, i) => ({
            label: series.label,
            stroke: colour(i),
            fill: spec.kind === 'bars' ? `${colour(i)}99` : undefined,
            width: 2,
            ...(spec.kind === 'bars' ? { paths: barsFor(i), points: { show: false } } : {}),
          })),
        ],
      },
      data,
      box,
    )
    this.#plot.root.dataset.signature = signature
  }
}

customElements.define('ironstar-chart', IronstarChart)

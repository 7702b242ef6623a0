import { type Html, html, js } from '../../core/web/html.ts'
import { icon } from '../../core/web/ui/icons.ts'

export interface CounterValues {
  readonly global: number
  readonly session: number
}

function counterCard(options: {
  id: string
  title: string
  hint: string
  value: number
  action: string
  iconName: string
}): Html {
  const busy = `_${options.id.replace(/-/g, '')}Busy`
  return html`<article id="${options.id}" class="counter card">
    <h2>${icon(options.iconName)} ${options.title}</h2>
    <p class="counter__value" aria-live="polite"><output>${options.value.toLocaleString('en-US')}</output></p>
    <p class="muted">${options.hint}</p>
    <form method="post" action="${options.action}" data-indicator:${busy} data-on:submit="@post(${js(options.action)})">
      <button type="submit" class="button button--primary" data-attr:aria-busy="$${busy}">${icon('plus')}<span>Increment</span></button>
    </form>
  </article>`
}

/** The shared counter: one fragment of the feed, the same bytes for every visitor. */
export function globalCounter(value: number): Html {
  return counterCard({
    id: 'counter-global',
    title: 'Everyone',
    hint: 'Shared by every visitor. Open a second browser and count together.',
    value,
    action: '/counter/global/increment',
    iconName: 'globe',
  })
}

/** The visitor's own counter: a fragment per session. */
export function sessionCounter(value: number): Html {
  return counterCard({
    id: 'counter-session',
    title: 'You',
    hint: 'Yours alone. Every tab of this browser shows the same number.',
    value,
    action: '/counter/session/increment',
    iconName: 'user',
  })
}

/** Both counters; the feed morphs each card by its id. */
function counterRegion(values: CounterValues): Html {
  return html`<div id="counters" class="counter-grid">
    ${globalCounter(values.global)}
    ${sessionCounter(values.session)}
  </div>`
}

export function counterPage(values: CounterValues, position: number): Html {
  return html`<div class="example counter-page" data-init="@get(${js(`/counter/feed?since=${position}`)})">
    <header class="example__header">
      <h1>Counter</h1>
      <p class="muted">Each click is an event. The page shows what the server holds, never a guess: the feed brings every change back to every tab.</p>
    </header>
    ${counterRegion(values)}
  </div>`
}

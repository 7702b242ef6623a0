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

/** The region the feed re-renders whole: both counters. */
export function counterRegion(values: CounterValues): Html {
  return html`<div id="counters" class="counter-grid">
    ${counterCard({ id: 'counter-global', title: 'Everyone', hint: 'Shared by every visitor. Open a second browser and count together.', value: values.global, action: '/counter/global/increment', iconName: 'globe' })}
    ${counterCard({ id: 'counter-session', title: 'You', hint: 'Yours alone. Every tab of this browser shows the same number.', value: values.session, action: '/counter/session/increment', iconName: 'user' })}
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

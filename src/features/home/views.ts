import { type Html, html } from '../../core/html.ts'
import { icon } from '../../core/ui/icons.ts'

interface Example {
  readonly href: string
  readonly title: string
  readonly icon: string
  readonly summary: string
  readonly shows: string
}

// The template's own tour; when you build your app, replace this page with yours.
const EXAMPLES: readonly Example[] = [
  {
    href: '/todos',
    title: 'Todos',
    icon: 'list-todo',
    summary: 'Add, complete and clear tasks. Works with JavaScript off; with it, every tab updates live.',
    shows: 'Forms: 303 vs 204',
  },
  {
    href: '/counter',
    title: 'Counter',
    icon: 'hash',
    summary: 'One shared number, incremented from many tabs at once without a lost update.',
    shows: 'Optimistic concurrency',
  },
  {
    href: '/monitor',
    title: 'Monitor',
    icon: 'activity',
    summary: 'Server metrics streamed as a live chart: the same feed, rendered once, sent to every viewer.',
    shows: 'SSE fan-out',
  },
  {
    href: '/sortable',
    title: 'Sortable',
    icon: 'arrow-up-down',
    summary: 'Drag items into order. A Lit component emits an event; the server decides and confirms.',
    shows: 'Web components',
  },
  {
    href: '/analytics',
    title: 'Analytics',
    icon: 'chart-column',
    summary: 'Query the event log and sample Parquet files with DuckDB, off the write path.',
    shows: 'DuckDB projections',
  },
]

const PRINCIPLES = [
  {
    icon: 'database',
    title: 'Events are the truth',
    text: 'Every change is an event in SQLite, fsynced with group commit. Read models are rebuilt from the log.',
  },
  {
    icon: 'radio',
    title: 'One stream per page',
    text: 'Commands are short POSTs; a long-lived SSE feed morphs the page. No optimistic guesses.',
  },
  {
    icon: 'shield-check',
    title: 'Safe by default',
    text: 'Escaped HTML, same-origin writes, strict CSP, server-side sessions, bounded queues.',
  },
  {
    icon: 'package',
    title: 'One file to ship',
    text: 'The build produces a single executable with its assets, migrations and DuckDB inside.',
  },
] as const

function exampleCard(example: Example): Html {
  return html`<li>
    <a class="card card--link example-card" href="${example.href}">
      <span class="example-card__icon">${icon(example.icon)}</span>
      <span class="example-card__body">
        <span class="example-card__title">${example.title}</span>
        <span class="example-card__summary">${example.summary}</span>
        <span class="badge">${example.shows}</span>
      </span>
      <span class="example-card__arrow">${icon('arrow-right')}</span>
    </a>
  </li>`
}

const FLOW = [
  { step: 'POST /todos', note: 'form or Datastar, parsed with zod' },
  { step: 'decide → TodoAdded', note: 'pure decider, no I/O' },
  { step: 'append + fsync', note: 'group commit, position 42' },
  { step: 'SSE id: 42', note: 'one fat morph to every tab' },
] as const

function flowCard(): Html {
  return html`<figure class="flow card" aria-label="How a change travels">
    <figcaption class="flow__title">${icon('zap')} One change, end to end</figcaption>
    <ol class="flow__steps">
      ${FLOW.map((item) => html`<li><code>${item.step}</code><span>${item.note}</span></li>`)}
    </ol>
    <pre class="flow__code" aria-label="Quick start"><code><span class="muted">$</span> bun install
<span class="muted">$</span> bun run dev
<span class="muted">$</span> bun run new:feature invoices</code></pre>
  </figure>`
}

export function homePage(): Html {
  return html`<section class="hero">
    <div class="hero__text">
      <p class="eyebrow">${icon('sparkles')} Template and small framework</p>
      <h1>Reactive, event-sourced web apps, <span class="accent">one binary</span> to deploy.</h1>
      <p class="lead">Ironstar pairs Bun and SQLite on the server with Datastar in the browser. The server
        owns the state; pages are HTML that stays live over one stream. Add a feature as a slice, test it
        with real requests, ship it as one file.</p>
      <div class="hero__actions">
        <a class="button button--primary" href="/todos">Try the todo example ${icon('arrow-right')}</a>
        <a class="button button--ghost" href="#examples">See all examples</a>
      </div>
    </div>
    ${flowCard()}
  </section>

  <section id="examples" class="section" aria-labelledby="examples-title">
    <h2 id="examples-title">Examples</h2>
    <p class="section__intro">Each example is a slice: its domain, projection, views and routes in one folder.</p>
    <ul class="example-grid" role="list">${EXAMPLES.map(exampleCard)}</ul>
  </section>

  <section class="section" aria-labelledby="principles-title">
    <h2 id="principles-title">How it works</h2>
    <ul class="principles" role="list">
      ${PRINCIPLES.map(
        (item) => html`<li class="principle">${icon(item.icon)}<h3>${item.title}</h3><p>${item.text}</p></li>`,
      )}
    </ul>
  </section>`
}

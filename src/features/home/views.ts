import { type Html, html } from '../../core/web/html.ts'
import type { NavItem } from '../../core/web/http/context.ts'
import { icon } from '../../core/web/ui/icons.ts'

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

function exampleCard(example: NavItem): Html {
  return html`<li>
    <a class="card card--link example-card" href="${example.href}">
      <span class="example-card__icon">${icon(example.icon ?? 'arrow-right')}</span>
      <span class="example-card__body">
        <span class="example-card__title">${example.label}</span>
        ${example.description ? html`<span class="example-card__summary">${example.description}</span>` : ''}
        ${example.badge ? html`<span class="badge">${example.badge}</span>` : ''}
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

/** The landing page; its examples are the slices' nav entries, so a new slice shows up here too. */
export function homePage(examples: readonly NavItem[]): Html {
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
    <ul class="example-grid" role="list">${examples.map(exampleCard)}</ul>
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

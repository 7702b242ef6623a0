import { assetUrl } from '../assets.ts'
import { DATASTAR_ASSET, DATASTAR_PIN, isDatastarVendored } from '../datastar-pin.ts'
import { type Html, html, htmlResponse, raw } from '../html.ts'
import type { NavItem, Theme } from '../http/context.ts'
import { icon } from './icons.ts'

/** What the layout needs from the request: a subset of RequestContext, so error pages can use it too. */
export interface LayoutContext {
  readonly url: URL
  readonly nav: readonly NavItem[]
  readonly theme: Theme
  /** The dev reload `<script>` of the server that renders the page (empty outside development). */
  readonly devReloadScript?: () => string
}

export interface PageOptions {
  readonly title: string
  readonly body: Html
  readonly description?: string
}

function datastarScript(): Html {
  if (isDatastarVendored()) return html`<script type="module" src="${assetUrl(DATASTAR_ASSET)}"></script>`
  return html`<script type="module" src="${DATASTAR_PIN.url}" integrity="${DATASTAR_PIN.integrity}" crossorigin="anonymous"></script>`
}

function isCurrent(item: NavItem, path: string): boolean {
  return path === item.href || path.startsWith(`${item.href}/`)
}

function navigation(ctx: LayoutContext): Html {
  const path = ctx.url.pathname
  return html`<nav class="site-nav" aria-label="Examples">
    <ul>
      ${ctx.nav.map(
        (item) =>
          html`<li><a href="${item.href}" ${isCurrent(item, path) ? raw('aria-current="page"') : ''}>${item.icon ? icon(item.icon) : ''}<span>${item.label}</span></a></li>`,
      )}
    </ul>
  </nav>`
}

const THEME_CHOICES = [
  { value: 'light', label: 'Light theme', icon: 'sun' },
  { value: 'system', label: 'Follow the system theme', icon: 'monitor' },
  { value: 'dark', label: 'Dark theme', icon: 'moon' },
] as const

/**
 * The theme toggle is a plain form: it posts the choice, the server stores it in a cookie and
 * redirects back. No script, so it works with JavaScript off and under a strict CSP.
 */
function themeToggle(ctx: LayoutContext): Html {
  return html`<form class="theme-toggle" method="post" action="/theme" aria-label="Colour theme">
    <input type="hidden" name="return" value="${ctx.url.pathname + ctx.url.search}">
    ${THEME_CHOICES.map(
      (choice) =>
        html`<button type="submit" name="theme" value="${choice.value}" title="${choice.label}" aria-label="${choice.label}" aria-pressed="${String(ctx.theme === choice.value)}">${icon(choice.icon)}</button>`,
    )}
  </form>`
}

/** The whole page: head with the hashed assets and the Datastar client, header, main, footer. */
export function layout(ctx: LayoutContext, { title, body, description }: PageOptions): Html {
  const fullTitle = title === 'Ironstar' ? title : `${title} · Ironstar`
  return html`<!doctype html>
<html lang="en" data-theme="${ctx.theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="${ctx.theme === 'system' ? 'light dark' : ctx.theme}">
<title>${fullTitle}</title>
${description ? html`<meta name="description" content="${description}">` : ''}
<link rel="icon" href="${assetUrl('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assetUrl('app.css')}">
<script type="module" src="${assetUrl('app.js')}"></script>
${datastarScript()}
${raw(ctx.devReloadScript?.() ?? '')}
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
  <div class="site-header__inner">
    <a class="brand" href="/">${icon('zap')}<span>Ironstar</span></a>
    ${navigation(ctx)}
    ${themeToggle(ctx)}
  </div>
</header>
<main id="main" class="site-main">
${body}
</main>
<footer class="site-footer">
  <div class="site-footer__inner">
    <p>Ironstar: event-sourced hypermedia on Bun, SQLite and Datastar.</p>
    <p class="muted">Every page works without JavaScript; with it, the server streams changes live.</p>
  </div>
</footer>
<div id="toasts" class="toasts" aria-live="polite"></div>
</body>
</html>`
}

/** A whole page as a response: `return page(ctx, { title: 'Todos', body: todoList(state) })`. */
export function page(ctx: LayoutContext, options: PageOptions, init: ResponseInit = {}): Response {
  return htmlResponse(layout(ctx, options), init)
}

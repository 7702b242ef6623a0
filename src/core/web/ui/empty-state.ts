import { type Html, html } from '../html.ts'
import { type IconName, icon } from './icons.ts'

export interface EmptyStateOptions {
  readonly icon: IconName
  /** What is missing, in a few words: "Nothing to do yet". */
  readonly title: string
  /** What makes it appear, when the visitor can do something about it. */
  readonly hint?: string | Html
}

/**
 * The one way a page says "nothing here yet" (a list, a chart, a result): an icon, a short
 * title and a hint, in place of the thing. Styled by `.empty-state` (web/styles/components).
 */
export function emptyState({ icon: name, title, hint }: EmptyStateOptions): Html {
  return html`<div class="empty-state">
    <span class="empty-state__icon">${icon(name)}</span>
    <p class="empty-state__title">${title}</p>
    ${hint ? html`<p class="empty-state__hint">${hint}</p>` : ''}
  </div>`
}

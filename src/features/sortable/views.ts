import { type Html, html, js } from '../../core/web/html.ts'
import { icon } from '../../core/web/ui/icons.ts'
import type { Item, SortableList } from './domain.ts'

function moveButton(item: Item, direction: 'up' | 'down', isDisabled: boolean, label: string): Html {
  const action = `/sortable/${encodeURIComponent(item.id)}/${direction}`
  return html`<form method="post" action="${action}" data-indicator:_moving data-on:submit="@post(${js(action)})">
    <button type="submit" class="icon-button" aria-label="Move &quot;${label}&quot; ${direction}" ${isDisabled ? 'disabled' : ''}>${icon(direction === 'up' ? 'arrow-up' : 'arrow-down')}</button>
  </form>`
}

/**
 * sortablejs marks the item it drags (`draggable`, inline `style`, its classes) and the server
 * never varies those attributes, so a morph that lands while an item is pressed or dragged (another
 * page moved one) keeps them: without them the browser would not start the drag.
 */
function sortableItem(item: Item, index: number, count: number): Html {
  return html`<li id="item-${item.id}" class="sortable-item" data-id="${item.id}" data-preserve-attr="class style draggable">
    <span class="sortable-item__handle" aria-hidden="true">${icon('grip-vertical')}</span>
    <span class="sortable-item__rank">${index + 1}</span>
    <span class="sortable-item__label">${item.label}</span>
    <span class="sortable-item__moves">
      ${moveButton(item, 'up', index === 0, item.label)}
      ${moveButton(item, 'down', index === count - 1, item.label)}
    </span>
  </li>`
}

/**
 * What the feed re-renders: the notice line and the list (`#sortable-items`), each morphed by
 * its id. The list sits inside `<sortable-list>`, which stays put across morphs; a drop posts
 * `{to}` for the moved item's id. A refused move sends this back with a notice, which also
 * puts the dragged item back where the server says it is.
 */
export function sortableRegion(list: SortableList, notice = ''): Html {
  return html`<p id="sortable-notice" class="field-error" role="alert">${notice}</p>
    <ol id="sortable-items" class="sortable-items" data-class:is-busy="$_moving">
    ${list.items.map((item, index) => sortableItem(item, index, list.items.length))}
  </ol>`
}

export function sortablePage(list: SortableList, position: number, notice = ''): Html {
  const onReorder = "@post('/sortable/' + encodeURIComponent(evt.detail.id) + '/move', {payload: {to: evt.detail.to}})"
  return html`<div class="example sortable-page" data-signals="${js({ _moving: false })}" data-init="@get(${js(`/sortable/feed?since=${position}`)})">
    <header class="example__header">
      <h1>Sortable</h1>
      <p class="muted">One list shared by everyone. Drag an item by its handle, or use the arrows (they work with the keyboard and without JavaScript). Each move is an event; every open page follows.</p>
    </header>
    <section class="card">
      <sortable-list list="#sortable-items" handle=".sortable-item__handle" data-indicator:_moving data-on:reorder="${onReorder}">
        ${sortableRegion(list, notice)}
      </sortable-list>
    </section>
  </div>`
}

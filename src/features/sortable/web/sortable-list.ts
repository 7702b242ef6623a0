import { LitElement } from 'lit'
import Sortable from 'sortablejs'

/** What `reorder` carries: the moved item's `data-id`, and its index before and after the drop. */
export interface ReorderDetail {
  readonly id: string
  readonly from: number
  readonly to: number
}

/**
 * `<sortable-list>` makes the list inside it draggable with sortablejs and reports each drop
 * as a `reorder` CustomEvent; it never talks to the server (Datastar does:
 * `data-on:reorder="@post(...)"`). It renders into light DOM, so the design system's classes
 * and Datastar's attributes reach the items, and a server morph of the list leaves the
 * sortablejs instance bound (the list element keeps its id, so the morph keeps the node).
 * Items the server morphs need `data-preserve-attr="class style draggable"`: sortablejs marks
 * the item it drags with those, and a morph that strips them stops the drag from starting.
 *
 * Attributes: `list` — selector of the container whose children are the items (default: the
 * first child element); `handle` — selector of the drag handle inside an item (default: the
 * whole item).
 */
export class SortableList extends LitElement {
  static override properties = {
    list: { type: String },
    handle: { type: String },
  }

  declare list: string | undefined
  declare handle: string | undefined
  #sortable: Sortable | null = null

  // Light DOM: the server renders the items; this element only adds behaviour.
  protected override createRenderRoot(): HTMLElement {
    return this
  }

  override connectedCallback(): void {
    super.connectedCallback()
    const container = this.list ? this.querySelector<HTMLElement>(this.list) : this.firstElementChild
    if (!(container instanceof HTMLElement)) return
    this.#sortable = Sortable.create(container, {
      animation: 150,
      ...(this.handle ? { handle: this.handle } : {}),
      dataIdAttr: 'data-id',
      ghostClass: 'is-ghost',
      chosenClass: 'is-chosen',
      onEnd: (event) => this.#dropped(event),
    })
  }

  override disconnectedCallback(): void {
    this.#sortable?.destroy()
    this.#sortable = null
    super.disconnectedCallback()
  }

  #dropped(event: Sortable.SortableEvent): void {
    const { item, oldIndex, newIndex } = event
    const id = item.dataset.id
    if (!id || oldIndex === undefined || newIndex === undefined || oldIndex === newIndex) return
    const detail: ReorderDetail = { id, from: oldIndex, to: newIndex }
    this.dispatchEvent(new CustomEvent('reorder', { detail, bubbles: true, composed: true }))
  }
}

if (!customElements.get('sortable-list')) customElements.define('sortable-list', SortableList)

declare global {
  interface HTMLElementTagNameMap {
    'sortable-list': SortableList
  }
}

import { z } from 'zod'
import { NotFoundError, RuleViolation } from '../../core/errors.ts'
import type { Decider } from '../../core/eventsourcing/decider.ts'
import { wholeNumber } from '../../core/web/input-fields.ts'

/**
 * One shared list, reordered by drag and drop or by move-up/move-down buttons, on the stream
 * `sortable-list/main`. The items themselves are fixed (they are the initial state); only
 * their order is event-sourced, which keeps the example about ordering.
 */

export const SORTABLE_STREAM_TYPE = 'sortable-list'
export const sortableStream = { type: SORTABLE_STREAM_TYPE, id: 'main' } as const

export interface Item {
  readonly id: string
  readonly label: string
}

export const INITIAL_ITEMS: readonly Item[] = [
  { id: 'model', label: 'Model the events' },
  { id: 'decide', label: 'Write the decider and its given/when/then test' },
  { id: 'project', label: 'Project the events into a read model' },
  { id: 'render', label: 'Render the view and open the feed' },
  { id: 'ship', label: 'Build one binary and ship it' },
]

/** The index a drop lands on (a JSON number, or digits from a form); the decider checks it against the list. */
export const moveInput = z.object({ to: wholeNumber('Give a whole position, counting from 0') })

export type SortableCommand =
  | { readonly type: 'MoveItem'; readonly id: string; readonly to: number }
  | { readonly type: 'MoveItemUp'; readonly id: string }
  | { readonly type: 'MoveItemDown'; readonly id: string }

export type SortableEvent = {
  readonly type: 'ItemMoved'
  readonly data: { readonly id: string; readonly from: number; readonly to: number }
}

export const SORTABLE_EVENT_TYPES = ['ItemMoved'] as const satisfies readonly SortableEvent['type'][]

export interface SortableList {
  readonly items: readonly Item[]
}

function indexOf(list: SortableList, id: string): number {
  const index = list.items.findIndex((item) => item.id === id)
  if (index < 0) throw new NotFoundError(`Cannot move item "${id}": it is not in the list`)
  return index
}

function move(list: SortableList, id: string, to: number): SortableEvent | readonly SortableEvent[] {
  const from = indexOf(list, id)
  const last = list.items.length - 1
  if (!Number.isInteger(to) || to < 0 || to > last) {
    throw new RuleViolation(
      `Cannot move item "${id}" to position ${to}: positions run from 0 to ${last}`,
      'out-of-range',
      'to',
    )
  }
  return from === to ? [] : { type: 'ItemMoved', data: { id, from, to } }
}

function decide(list: SortableList, command: SortableCommand): SortableEvent | readonly SortableEvent[] {
  switch (command.type) {
    case 'MoveItem':
      return move(list, command.id, command.to)
    // At an edge there is nowhere to go: nothing happens (a stale page may still offer the button).
    case 'MoveItemUp': {
      const from = indexOf(list, command.id)
      return from === 0 ? [] : move(list, command.id, from - 1)
    }
    case 'MoveItemDown': {
      const from = indexOf(list, command.id)
      return from === list.items.length - 1 ? [] : move(list, command.id, from + 1)
    }
    default: {
      const unknown: never = command
      throw new Error(`Cannot decide unknown command ${JSON.stringify(unknown)}`)
    }
  }
}

function evolve(list: SortableList, event: SortableEvent): SortableList {
  switch (event.type) {
    case 'ItemMoved': {
      // Moves by id rather than by `from`, so the fold never depends on positions being in sync.
      const moved = list.items.find((item) => item.id === event.data.id)
      if (!moved) return list
      const rest = list.items.filter((item) => item.id !== event.data.id)
      return { items: [...rest.slice(0, event.data.to), moved, ...rest.slice(event.data.to)] }
    }
    default: {
      const unknown: never = event.type
      return unknown
    }
  }
}

export const sortableDecider: Decider<SortableList, SortableCommand, SortableEvent> = {
  initialState: () => ({ items: INITIAL_ITEMS }),
  decide,
  evolve,
}

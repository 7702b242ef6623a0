import type { StoredEvent } from '../../src/core/eventsourcing/events.ts'
import { defineProjection } from '../../src/core/eventsourcing/projections.ts'

/** The fan-out view: a small counter-like region (~200 bytes), the same in both servers. */
export interface Tally {
  readonly count: number
  readonly last: string
}

export const tallyProjection = defineProjection<Tally>({
  name: 'bench-tally',
  initial: () => ({ count: 0, last: '' }),
  apply: (state, event: StoredEvent) =>
    event.type === 'Ticked' ? { count: state.count + 1, last: (event.data as { note: string }).note } : state,
})

export function renderTally(tally: Tally): string {
  return `<section id="tally" class="card"><h2>Tally</h2><p class="tally__count">${tally.count}</p><p class="tally__last">Last: ${tally.last}</p></section>`
}

/** A todo list of `n` items with `done` of them ticked: the fat morph used for compression. */
export function renderTodoList(n: number, done: number): string {
  const items = Array.from({ length: n }, (_, i) => {
    const isDone = i < done
    return `<li id="todo-${1000 + i}" class="todo${isDone ? ' todo--done' : ''}"><input type="checkbox" ${isDone ? 'checked ' : ''}data-on:change="@post('/todos/${1000 + i}/toggle')"><span class="todo__text">Task number ${i + 1}: water the plants</span><button class="icon-button" data-on:click="@post('/todos/${1000 + i}/delete')" aria-label="Delete">×</button></li>`
  }).join('')
  return `<section id="todos"><ul class="todo-list">${items}</ul><p class="todo-count">${n - done} left</p></section>`
}

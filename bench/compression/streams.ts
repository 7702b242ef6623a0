// The two feeds the compression study replays, rendered by the app's own views and encoded as
// the feed encodes them: the todo region with 100 todos, one toggled per event (the fat morph),
// and the counter region, the shared counter going up by one per event.
import { encodePatch } from '../../src/core/web/sse/encode.ts'
import { globalCounter } from '../../src/features/counter/views.ts'
import type { Todo } from '../../src/features/todo/domain.ts'
import { todoRegion } from '../../src/features/todo/views.ts'

export interface FeedStream {
  readonly name: string
  /** Event `i` (from 1) as the SSE bytes one connection would get. */
  event(i: number): Uint8Array
}

/** 100 todos; event `i` toggles todo `i mod 100`, so consecutive renders differ in one item. */
export function todoStream(count = 100): FeedStream {
  const todos: Todo[] = Array.from({ length: count }, (_, i) => ({
    id: `t${1000 + i}`,
    text: `Task number ${i + 1}: water the plants`,
    completed: false,
  }))
  return {
    name: `todo list of ${count}, one toggled per event`,
    event(i) {
      const k = i % count
      const todo = todos[k] as Todo
      todos[k] = { ...todo, completed: !todo.completed }
      return encodePatch(todoRegion({ todos }, { filter: 'all' }).value, i)
    },
  }
}

/** The counter page's shared card (its own fragment) at `1000 + i`. */
export function counterStream(): FeedStream {
  return {
    name: 'counter, shared card +1 per event',
    event: (i) => encodePatch(globalCounter(1000 + i).value, i),
  }
}

import type { Slice } from './core/slice.ts'
import { analytics } from './features/analytics/index.ts'
import { counter } from './features/counter/index.ts'
import { home } from './features/home/index.ts'
import { monitor } from './features/monitor/index.ts'
import { sortable } from './features/sortable/index.ts'
import { todos } from './features/todo/index.ts'

/** Every feature slice of the app, one line each; the server registers their events, projections and routes. */
// biome-ignore format: one slice per line, so adding a feature is a one-line diff (and scripts/new-feature.ts appends one)
export const slices: readonly Slice[] = [
  home,
  todos,
  counter,
  monitor,
  sortable,
  analytics,
]

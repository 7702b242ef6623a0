import type { Slice } from './core/slice.ts'
import { home } from './features/home/index.ts'

/** Every feature slice of the app, one line each; the server registers their events, projections and routes. */
export const slices: readonly Slice[] = [
  home,
]

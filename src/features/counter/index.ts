import { defineSlice } from '../../core/slice.ts'
import { counterProjection } from './projection.ts'
import { counterRoutes } from './routes.ts'

export const counter = defineSlice({
  name: 'counter',
  projections: [counterProjection],
  routes: counterRoutes,
  nav: {
    href: '/counter',
    label: 'Counter',
    icon: 'hash',
    description: 'A global and a per-session counter, live across tabs and visitors',
    badge: 'Optimistic concurrency',
  },
})

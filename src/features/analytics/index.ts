import { defineSlice } from '../../core/slice.ts'
import { queryHistoryProjection } from './history.ts'
import { analyticsRoutes } from './routes.ts'
import { analyticsService } from './service.ts'

export const analytics = defineSlice({
  name: 'analytics',
  projections: [queryHistoryProjection],
  resources: [analyticsService],
  routes: analyticsRoutes,
  nav: {
    href: '/analytics',
    label: 'Analytics',
    icon: 'chart-line',
    description: 'The event log in DuckDB: live charts, and your own read-only SQL with cancel',
    badge: 'DuckDB projections',
  },
})

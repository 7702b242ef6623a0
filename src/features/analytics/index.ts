import { defineSlice } from '../../core/slice.ts'
import { QUERY_EVENT_TYPES } from './domain.ts'
import { queryHistoryProjection } from './history.ts'
import { analyticsRoutes } from './routes.ts'
import { analyticsLifecycle } from './service.ts'

export const analytics = defineSlice({
  name: 'analytics',
  events: Object.fromEntries(QUERY_EVENT_TYPES.map((type) => [type, {}])),
  projections: [queryHistoryProjection, analyticsLifecycle],
  routes: analyticsRoutes,
  nav: {
    href: '/analytics',
    label: 'Analytics',
    icon: 'chart-line',
    description: 'The event log in DuckDB: live charts, and your own read-only SQL with cancel',
  },
})

import { defineSlice } from '../../core/slice.ts'
import { sortableProjection } from './projection.ts'
import { sortableRoutes } from './routes.ts'

export const sortable = defineSlice({
  name: 'sortable',
  projections: [sortableProjection],
  routes: sortableRoutes,
  nav: {
    href: '/sortable',
    label: 'Sortable',
    icon: 'arrow-up-down',
    description: 'Drag and drop through a Lit component; every move is an event',
    badge: 'Web components',
  },
})

import { defineSlice } from '../../core/slice.ts'
import { todoProjection } from './projection.ts'
import { todoRoutes } from './routes.ts'

export const todos = defineSlice({
  name: 'todo',
  projections: [todoProjection],
  routes: todoRoutes,
  nav: {
    href: '/todos',
    label: 'Todos',
    icon: 'list-todo',
    description: 'TodoMVC, event-sourced: one list per session, live in every tab',
    badge: 'Forms: 303 vs 204',
  },
})

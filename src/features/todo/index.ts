import { defineSlice } from '../../core/slice.ts'
import { TODO_EVENT_TYPES } from './domain.ts'
import { todoProjection } from './projection.ts'
import { todoRoutes } from './routes.ts'

export const todos = defineSlice({
  name: 'todo',
  events: Object.fromEntries(TODO_EVENT_TYPES.map((type) => [type, {}])),
  projections: [todoProjection],
  routes: todoRoutes,
  nav: {
    href: '/todos',
    label: 'Todos',
    icon: 'list-todo',
    description: 'TodoMVC, event-sourced: one list per session, live in every tab',
  },
})

import { defineSlice } from '../../core/slice.ts'
import { monitorRoutes } from './routes.ts'

export const monitor = defineSlice({
  name: 'monitor',
  routes: monitorRoutes,
  nav: {
    href: '/monitor',
    label: 'Monitor',
    icon: 'activity',
    description: 'Memory, CPU, feeds, events per second and lag, live every second',
  },
})

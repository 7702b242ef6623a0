import { defineSlice } from '../../core/slice.ts'
import { monitorRoutes } from './routes.ts'
import { monitorSampler } from './sampler.ts'

export const monitor = defineSlice({
  name: 'monitor',
  resources: [monitorSampler],
  routes: monitorRoutes,
  nav: {
    href: '/monitor',
    label: 'Monitor',
    icon: 'activity',
    description: 'Memory, CPU, feeds, events per second and lag, live every second',
    badge: 'SSE fan-out',
  },
})

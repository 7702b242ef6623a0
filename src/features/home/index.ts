import { defineSlice } from '../../core/slice.ts'
import { homeRoutes } from './routes.ts'

/** The landing page: introduces Ironstar and links to every example. */
export const home = defineSlice({ name: 'home', routes: homeRoutes })

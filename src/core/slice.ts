import type { AppContext } from './app-context.ts'
import type { AnyProjectionDefinition } from './eventsourcing/projections.ts'
import type { EventSchemaOptions } from './eventsourcing/upcast.ts'
import type { ResourceDefinition } from './runtime.ts'
import type { NavItem, RouteTable } from './web/http/context.ts'

/** A vertical feature slice: its event types, read models, resources, routes and nav entry. */
export interface Slice {
  readonly name: string
  /** Event type → schema (version, upcasters); registered once at start. */
  readonly events: Readonly<Record<string, EventSchemaOptions>>
  readonly projections: readonly AnyProjectionDefinition[]
  /** What the slice runs besides projections, started after them and stopped before them. */
  readonly resources: readonly ResourceDefinition<unknown>[]
  readonly routes: (app: AppContext) => RouteTable
  readonly nav?: NavItem
}

export interface SliceDefinition {
  readonly name: string
  /**
   * Event types with a schema (version, upcasters). Types a listed projection declares are
   * registered without one, so most slices need no `events`.
   */
  readonly events?: Readonly<Record<string, EventSchemaOptions>>
  readonly projections?: readonly AnyProjectionDefinition[]
  // biome-ignore lint/suspicious/noExplicitAny: and resources of any type
  readonly resources?: readonly ResourceDefinition<any>[]
  /** A route table, or a function of the app when the routes depend on its config. */
  readonly routes: RouteTable | ((app: AppContext) => RouteTable)
  readonly nav?: NavItem
}

const SLICE_NAME = /^[a-z][a-z0-9-]*$/

/** Declares a slice; `src/app.ts` lists every slice on one line each. */
export function defineSlice(definition: SliceDefinition): Slice {
  if (!SLICE_NAME.test(definition.name)) {
    throw new Error(`Cannot define slice "${definition.name}": use a kebab-case name`)
  }
  const { routes, projections = [], resources = [] } = definition
  const declared = projections.flatMap((projection) => projection.events ?? [])
  return {
    ...definition,
    events: { ...Object.fromEntries(declared.map((type) => [type, {}])), ...definition.events },
    projections,
    resources,
    routes: typeof routes === 'function' ? routes : () => routes,
  }
}

import type { AppContext } from './app-context.ts'
import type { NavItem, RouteTable } from './http/context.ts'
import type { Projection } from './projections.ts'
import type { EventSchemaOptions } from './upcast.ts'

/** A slice's projection as the server sees it: something to start at boot and stop at shutdown. */
export type SliceProjection = Pick<Projection<unknown>, 'name' | 'start' | 'stop' | 'position' | 'isRunning'>

/** A vertical feature slice: its event types, read models, routes and nav entry. */
export interface Slice {
  readonly name: string
  /** Event type → schema (version, upcasters); registered once at start. */
  readonly events: Readonly<Record<string, EventSchemaOptions>>
  readonly projections: readonly SliceProjection[]
  readonly routes: (app: AppContext) => RouteTable
  readonly nav?: NavItem
}

export interface SliceDefinition {
  readonly name: string
  readonly events?: Readonly<Record<string, EventSchemaOptions>>
  readonly projections?: readonly SliceProjection[]
  readonly routes: (app: AppContext) => RouteTable
  readonly nav?: NavItem
}

const SLICE_NAME = /^[a-z][a-z0-9-]*$/

/** Declares a slice; `src/app.ts` lists every slice on one line each. */
export function defineSlice(definition: SliceDefinition): Slice {
  if (!SLICE_NAME.test(definition.name)) {
    throw new Error(`Cannot define slice "${definition.name}": use a kebab-case name`)
  }
  return { events: {}, projections: [], ...definition }
}

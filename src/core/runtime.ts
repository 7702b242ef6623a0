import type { AppContext } from './app-context.ts'
import { Projection, type ProjectionDefinition, type ProjectionSources } from './eventsourcing/projections.ts'
import type { Logger } from './ops/log.ts'

/**
 * Something a slice runs for as long as the server does (a DuckDB service, a sampler): made by
 * `start(app)` when the server starts, handed to handlers as `ctx.app.resource(definition)`,
 * and given to `stop` at shutdown. The definition holds no state, so two servers never share one.
 */
export interface ResourceDefinition<T> {
  readonly name: string
  readonly start: (app: AppContext) => T | Promise<T>
  readonly stop?: (instance: T) => void | Promise<void>
  /** For a reader of the event log: how far it has caught up (`/readyz` waits for it). */
  readonly position?: (instance: T) => number
}

export function defineResource<T>(definition: ResourceDefinition<T>): ResourceDefinition<T> {
  return definition
}

/** A reader of the log as `/readyz`, `/metrics` and the monitor see it. */
export interface ObservedReader {
  readonly name: string
  readonly position: number
  readonly isRunning: boolean
}

interface Started {
  readonly definition: ResourceDefinition<unknown>
  readonly instance: unknown
  stopped: boolean
}

/**
 * Everything one server runs, by definition: its projections (rebuilt from the store, then
 * following the bus) and its slices' resources. Started in order, stopped in reverse.
 */
export class Runtime {
  readonly #projections = new Map<ProjectionDefinition<unknown>, Projection<unknown>>()
  readonly #resources = new Map<ResourceDefinition<unknown>, Started>()
  readonly #log: Logger

  constructor(log: Logger) {
    this.#log = log
  }

  projection<State>(definition: ProjectionDefinition<State>): Projection<State> {
    const running = this.#projections.get(definition as ProjectionDefinition<unknown>)
    if (!running) throw new Error(`Cannot read projection "${definition.name}": no slice of this server lists it`)
    return running as Projection<State>
  }

  resource<T>(definition: ResourceDefinition<T>): T {
    const started = this.#resources.get(definition as ResourceDefinition<unknown>)
    if (!started) throw new Error(`Cannot use resource "${definition.name}": no slice of this server lists it`)
    return started.instance as T
  }

  readers(): ObservedReader[] {
    const readers: ObservedReader[] = [...this.#projections.values()].map((projection) => ({
      name: projection.name,
      position: projection.position,
      isRunning: projection.isRunning,
    }))
    for (const { definition, instance, stopped } of this.#resources.values()) {
      if (definition.position) {
        readers.push({ name: definition.name, position: definition.position(instance), isRunning: !stopped })
      }
    }
    return readers
  }

  /** Rebuilds every projection from the store; a failure stops the ones already started. */
  async startProjections(definitions: readonly ProjectionDefinition<unknown>[], sources: ProjectionSources) {
    for (const definition of definitions) {
      if (this.#projections.has(definition)) continue // two slices may read one projection
      const projection = new Projection(definition, { log: this.#log })
      try {
        await projection.start(sources)
      } catch (error) {
        await this.stopProjections()
        throw error
      }
      this.#projections.set(definition, projection)
    }
  }

  /** Starts resources in order (each may use the ones before it); a failure stops those started. */
  async startResources(definitions: readonly ResourceDefinition<unknown>[], app: AppContext): Promise<void> {
    for (const definition of definitions) {
      if (this.#resources.has(definition)) continue
      try {
        const instance = await definition.start(app)
        this.#resources.set(definition, { definition, instance, stopped: false })
      } catch (error) {
        await this.stopResources()
        throw error
      }
    }
  }

  /** Stops resources newest first; one failing to stop is logged and does not keep the others running. */
  async stopResources(): Promise<void> {
    for (const started of [...this.#resources.values()].reverse()) {
      if (started.stopped) continue
      started.stopped = true
      try {
        await started.definition.stop?.(started.instance)
      } catch (error) {
        this.#log.error(`Cannot stop resource "${started.definition.name}"`, { error })
      }
    }
  }

  async stopProjections(): Promise<void> {
    await Promise.all([...this.#projections.values()].map((projection) => projection.stop()))
  }
}

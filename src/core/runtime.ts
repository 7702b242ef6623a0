import type { AppContext } from './app-context.ts'
import { NotReadyError } from './errors.ts'
import { Projection, type ProjectionDefinition, type ProjectionSources } from './eventsourcing/projections.ts'
import type { SnapshotCounters } from './eventsourcing/snapshots/snapshot-keeper.ts'
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
  /** For a reader of the log: the batches it failed to handle so far (`/metrics` shows them). */
  readonly failures?: (instance: T) => number
}

export function defineResource<T>(definition: ResourceDefinition<T>): ResourceDefinition<T> {
  return definition
}

/** A reader of the log as `/readyz`, `/metrics` and the monitor see it. */
export interface ObservedReader {
  readonly name: string
  readonly position: number
  readonly isRunning: boolean
  /** Batches or events it failed to handle since the start. */
  readonly failures: number
  /** A projection's snapshot writes and failures (resources have none). */
  readonly snapshots?: SnapshotCounters
}

type Definition = ProjectionDefinition<unknown> | ResourceDefinition<unknown>

interface Started {
  readonly definition: ResourceDefinition<unknown>
  readonly instance: unknown
  stopped: boolean
}

/**
 * Everything one server runs, by definition: its projections (restored from their snapshots and
 * caught up from the store, then following the bus) and its slices' resources. Started in order,
 * stopped in reverse; `whenStarted` tells the HTTP layer when a slice's own ones are there.
 */
export class Runtime {
  readonly #projections = new Map<ProjectionDefinition<unknown>, Projection<unknown>>()
  readonly #resources = new Map<ResourceDefinition<unknown>, Started>()
  readonly #started = new Map<Definition, PromiseWithResolvers<void>>()
  readonly #log: Logger
  #abandoned: Error | null = null
  /** The projection catching up right now, told to give up when starting is abandoned. */
  #starting: Projection<unknown> | null = null

  constructor(log: Logger) {
    this.#log = log
  }

  /** Resolves once every one of these definitions has started; rejects if starting was abandoned. */
  whenStarted(definitions: readonly Definition[]): Promise<void> {
    return Promise.all(definitions.map((definition) => this.#startedSignal(definition).promise)).then(() => undefined)
  }

  /**
   * For the HTTP layer's start-up gate: by name (a slice's), the promise its routes wait for, and
   * null once all of its definitions have started, so a request after start-up pays nothing.
   */
  readiness(groups: ReadonlyMap<string, readonly Definition[]>): (name: string) => Promise<void> | null {
    const pending = new Map<string, Promise<void>>()
    for (const [name, definitions] of groups) {
      const started = this.whenStarted(definitions)
      pending.set(name, started)
      started.then(
        () => pending.delete(name),
        () => undefined, // stays pending: its routes keep answering 503 until the server stops
      )
    }
    return (name) => pending.get(name) ?? null
  }

  /**
   * Stops starting what is not started yet (shutdown during start-up): the start in progress
   * rejects after its current page, and everyone waiting in `whenStarted` gets a NotReadyError.
   */
  abandonStart(): void {
    this.#abandoned ??= new NotReadyError('The server is shutting down: try again in a moment')
    for (const signal of this.#started.values()) signal.reject(this.#abandoned)
    void this.#starting?.stop()
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
    const readers: ObservedReader[] = [...this.#projections.values()].map((projection) => {
      const { failures, snapshots } = projection.counters()
      return {
        name: projection.name,
        position: projection.position,
        isRunning: projection.isRunning,
        failures,
        snapshots,
      }
    })
    for (const { definition, instance, stopped } of this.#resources.values()) {
      if (definition.position) {
        const failures = definition.failures?.(instance) ?? 0
        readers.push({ name: definition.name, position: definition.position(instance), isRunning: !stopped, failures })
      }
    }
    return readers
  }

  /** Starts every projection (snapshot, then the log's tail); a failure stops the ones already started. */
  async startProjections(definitions: readonly ProjectionDefinition<unknown>[], sources: ProjectionSources) {
    for (const definition of definitions) {
      if (this.#projections.has(definition)) continue // two slices may read one projection
      const projection = new Projection(definition, { log: this.#log })
      try {
        if (this.#abandoned) throw this.#abandoned
        this.#projections.set(definition, projection)
        this.#starting = projection
        await projection.start(sources)
        if (this.#abandoned) throw this.#abandoned
      } catch (error) {
        this.#projections.delete(definition)
        await projection.stop()
        await this.stopProjections()
        throw this.#abandoned ?? error
      } finally {
        this.#starting = null
      }
      this.#startedSignal(definition).resolve()
    }
  }

  /** Starts resources in order (each may use the ones before it); a failure stops those started. */
  async startResources(definitions: readonly ResourceDefinition<unknown>[], app: AppContext): Promise<void> {
    for (const definition of definitions) {
      if (this.#resources.has(definition)) continue
      try {
        if (this.#abandoned) throw this.#abandoned
        const instance = await definition.start(app)
        this.#resources.set(definition, { definition, instance, stopped: false })
      } catch (error) {
        await this.stopResources()
        throw error
      }
      this.#startedSignal(definition).resolve()
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

  /** Resolves once every running projection reflects `position`, or after `timeoutMs` (shutdown then goes on). */
  async catchUp(position: number, timeoutMs: number): Promise<void> {
    const running = [...this.#projections.values()].filter((projection) => projection.isRunning)
    const caughtUp = (projection: Projection<unknown>) =>
      projection.waitFor(position, { timeoutMs }).catch(() => undefined) // stopped or slow: stop it anyway
    await Promise.all(running.map(caughtUp))
  }

  async stopProjections(): Promise<void> {
    await Promise.all([...this.#projections.values()].map((projection) => projection.stop()))
  }

  #startedSignal(definition: Definition): PromiseWithResolvers<void> {
    let signal = this.#started.get(definition)
    if (!signal) {
      signal = Promise.withResolvers<void>()
      signal.promise.catch(() => undefined) // nobody may be waiting when starting is abandoned
      if (this.#abandoned) signal.reject(this.#abandoned)
      this.#started.set(definition, signal)
    }
    return signal
  }
}

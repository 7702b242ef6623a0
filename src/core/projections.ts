import type { BroadcastRing, BusSubscription } from './bus.ts'
import type { StoredEvent } from './events.ts'
import { createLogger, type Logger } from './log.ts'
import type { EventStore } from './store/event-store.ts'

/**
 * A read model: pure `initial` + `apply`, named so logs and metrics can tell them apart. A
 * definition holds no state: each server runs its own instance (`app.projection(definition)`).
 */
export interface ProjectionDefinition<State> {
  readonly name: string
  readonly initial: () => State
  /** Pure and synchronous; may return the same object mutated or a new one. */
  readonly apply: (state: State, event: StoredEvent) => State
  /** The event types it handles, registered with the store by the slice that lists it. */
  readonly events?: readonly string[]
  /** True for the events `apply` folds (feeds use it as their default relevance). */
  readonly canHandle?: (event: StoredEvent) => boolean
}

/** A definition of any state type, where only its name and events matter (lists of projections). */
// biome-ignore lint/suspicious/noExplicitAny: `apply` takes its own state type; `unknown` would refuse every one
export type AnyProjectionDefinition = ProjectionDefinition<any>

export interface ProjectionOptions {
  /** Where a failing `apply` is reported. @default JSON lines to stderr */
  log?: Logger
}

export interface ProjectionSources {
  readonly store: EventStore
  readonly bus: BroadcastRing
}

export interface StartProjectionOptions {
  /** Events read from the store per page while rebuilding or catching up. @default 1000 */
  pageSize?: number
}

export interface WaitForOptions {
  /** Rejects when the projection has not reached the position by then. @default 5000 */
  timeoutMs?: number
  signal?: AbortSignal
}

export interface ProjectionCounters {
  readonly name: string
  readonly position: number
  /** Head of the bus minus this projection's position: how far the read model trails. */
  readonly lag: number
  readonly lagged: number
  readonly failures: number
}

interface Waiter {
  readonly position: number
  readonly resolve: () => void
}

/**
 * A running projection: the server makes one per definition, and handlers reach it with
 * `ctx.app.projection(definition)`: `.state`, `.position`, `.waitFor(position)`. `start()` rebuilds it from the
 * store (paging by position) and then follows the bus; after a `lagged` message it catches
 * up from the store, so it never misses an event. One run at a time per object.
 */
export class Projection<State> implements ProjectionDefinition<State> {
  readonly name: string
  readonly initial: () => State
  readonly apply: (state: State, event: StoredEvent) => State
  readonly events?: readonly string[]
  readonly canHandle?: (event: StoredEvent) => boolean
  #state: State
  #position = 0
  #waiters: Waiter[] = []
  #run: { subscription: BusSubscription; sources: ProjectionSources; loop: Promise<void> } | null = null
  #lagged = 0
  #failures = 0
  readonly #log: Logger

  constructor(definition: ProjectionDefinition<State>, options: ProjectionOptions = {}) {
    this.name = definition.name
    this.initial = definition.initial
    this.apply = definition.apply
    this.events = definition.events
    this.canHandle = definition.canHandle
    this.#state = definition.initial()
    this.#log = options.log ?? createLogger()
  }

  get state(): State {
    return this.#state
  }

  /** The global position of the last event this state reflects. */
  get position(): number {
    return this.#position
  }

  get isRunning(): boolean {
    return this.#run !== null
  }

  counters(): ProjectionCounters {
    const head = this.#run?.sources.bus.position ?? this.#position
    return {
      name: this.name,
      position: this.#position,
      lag: Math.max(0, head - this.#position),
      lagged: this.#lagged,
      failures: this.#failures,
    }
  }

  /** Rebuilds from the store, then follows the bus until `stop()` or the bus closes. */
  async start(sources: ProjectionSources, options: StartProjectionOptions = {}): Promise<void> {
    const { pageSize = 1_000 } = options
    if (this.#run) throw new Error(`Cannot start projection "${this.name}": it is already running`)
    // Subscribe before replay: whatever commits while we page through the store is in the cursor.
    const subscription = sources.bus.subscribe()
    this.#state = this.initial()
    this.#position = 0
    const run = { subscription, sources, loop: Promise.resolve() }
    this.#run = run
    try {
      await this.#catchUp(sources.store, pageSize)
    } catch (error) {
      subscription.close()
      this.#run = null
      throw error
    }
    run.loop = this.#follow(subscription, sources.store, pageSize)
  }

  /** Stops following the bus; pending `waitFor` calls reject. */
  async stop(): Promise<void> {
    const run = this.#run
    if (!run) return
    run.subscription.close()
    await run.loop
  }

  /** Resolves once the state reflects `position` (read-your-writes after a command). */
  waitFor(position: number, options: WaitForOptions = {}): Promise<void> {
    const { timeoutMs = 5_000, signal } = options
    if (this.#position >= position) return Promise.resolve()
    if (!this.#run) return Promise.reject(new Error(`Cannot wait for projection "${this.name}": it is not running`))
    return new Promise<void>((resolve, reject) => {
      const fail = (reason: string) => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== entry)
        signal?.removeEventListener('abort', onAbort)
        reject(new Error(`Cannot wait for projection "${this.name}" to reach ${position}: ${reason}`))
      }
      const onAbort = () => fail('the request was aborted')
      const timer = setTimeout(() => fail(`still at ${this.#position} after ${timeoutMs} ms`), timeoutMs)
      const entry: Waiter = {
        position,
        resolve: () => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(entry)
    })
  }

  async #follow(subscription: BusSubscription, store: EventStore, pageSize: number): Promise<void> {
    try {
      while (await subscription.ready()) {
        for (let message = subscription.poll(); message; message = subscription.poll()) {
          if (message.kind === 'event') this.#applyOne(message.event)
          else {
            this.#lagged++
            await this.#catchUp(store, pageSize)
          }
        }
        this.#release()
      }
    } finally {
      this.#run = null
      const waiters = this.#waiters
      this.#waiters = []
      // Waiters must not hang past shutdown; resolving lets a request render what there is.
      for (const waiter of waiters) waiter.resolve()
    }
  }

  async #catchUp(store: EventStore, pageSize: number): Promise<void> {
    for (;;) {
      const page = await store.readAll({ after: this.#position, limit: pageSize })
      for (const event of page) this.#applyOne(event)
      this.#release()
      if (page.length < pageSize) return
    }
  }

  #applyOne(event: StoredEvent): void {
    // Events already covered by the store replay come round again on the bus: skip them.
    if (event.position <= this.#position) return
    try {
      this.#state = this.apply(this.#state, event)
    } catch (error) {
      // A faulty apply must not stall every reader waiting on this projection; it is counted and logged.
      this.#failures++
      this.#log.error(`Projection "${this.name}" failed to apply event`, {
        position: event.position,
        type: event.type,
        error,
      })
    }
    this.#position = event.position
  }

  #release(): void {
    if (this.#waiters.length === 0) return
    const ready = this.#waiters.filter((waiter) => waiter.position <= this.#position)
    if (ready.length === 0) return
    this.#waiters = this.#waiters.filter((waiter) => waiter.position > this.#position)
    for (const waiter of ready) waiter.resolve()
  }
}

export interface ProjectionDeclaration<State, Event extends StoredEvent> {
  readonly name: string
  readonly initial: () => State
  /** Folds one event it handles; never called with other events. */
  readonly apply: (state: State, event: Event) => State
  /** The event types it folds; with none, `apply` sees every event. */
  readonly events?: readonly Event['type'][]
  /** With `events`: only events of streams of this type. */
  readonly streamType?: string
}

/**
 * Declares a projection (a definition, no state): the slice lists it in `projections`, the
 * server runs it, handlers read it through `ctx.app.projection(definition)`. Declaring the
 * event types it handles (like Emmett's `canHandle`) registers them and filters `apply`.
 */
export function defineProjection<State, Event extends StoredEvent = StoredEvent>(
  declaration: ProjectionDeclaration<State, Event>,
): ProjectionDefinition<State> {
  const { name, initial, apply, events, streamType } = declaration
  if (!events) return { name, initial, apply: apply as ProjectionDefinition<State>['apply'] }
  const types: ReadonlySet<string> = new Set(events)
  const canHandle = (event: StoredEvent): event is Event =>
    types.has(event.type) && (streamType === undefined || event.stream.type === streamType)
  return {
    name,
    initial,
    events,
    canHandle,
    apply: (state, event) => (canHandle(event) ? apply(state, event) : state),
  }
}

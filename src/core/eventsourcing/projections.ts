import { createLogger, type Logger } from '../ops/log.ts'
import type { BroadcastRing } from './bus.ts'
import type { StoredEvent } from './events.ts'
import { type Batch, Follower } from './follower.ts'
import { jsonSnapshotCodec, type SnapshotCodec } from './snapshots/codec.ts'
import { fingerprintOf } from './snapshots/fingerprint.ts'
import { type SnapshotCounters, SnapshotKeeper, type SnapshotPolicy } from './snapshots/snapshot-keeper.ts'
import type { SnapshotStore } from './snapshots/snapshot-store.ts'
import type { EventStore } from './store/event-store.ts'
import type { EventRegistry } from './upcast.ts'
import { type WaitOptions, Watermark } from './watermark.ts'

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
  /** How its state is snapshotted at checkpoints; `false` always folds from 0. @default JSON, version 1 */
  readonly snapshot?: ProjectionSnapshotOptions<State> | false
}

export interface ProjectionSnapshotOptions<State> {
  /**
   * Bump it when the fold changes in code its own source does not show (a decider's `evolve` it
   * calls): the old snapshots are then ignored. Edits to `initial` and `apply` need no bump.
   * @default 1
   */
  readonly version?: number
  /** For state JSON cannot hold (Maps and Sets it can). @default JSON with Map and Set */
  readonly codec?: SnapshotCodec<State>
  /** The fold's source as written, set by `defineProjection`. @default `initial` and `apply` */
  readonly source?: string
}

/** A definition of any state type, where only its name and events matter (lists of projections). */
// biome-ignore lint/suspicious/noExplicitAny: `apply` takes its own state type; `unknown` would refuse every one
export type AnyProjectionDefinition = ProjectionDefinition<any>

export interface ProjectionOptions {
  /** Where a failing `apply` is reported. @default JSON lines to stderr */
  log?: Logger
  /** When checkpoints are written (with `snapshots` in the sources). */
  snapshotPolicy?: SnapshotPolicy
}

export interface ProjectionSources {
  readonly store: EventStore
  readonly bus: BroadcastRing
  /** Where snapshots are restored from and written to; without it, every start folds from 0. */
  readonly snapshots?: SnapshotStore
  /** The schemas of the events it folds, part of a snapshot's fingerprint. */
  readonly registry?: EventRegistry
}

export interface StartProjectionOptions {
  /** Events read from the store per page while rebuilding or catching up. @default 1000 */
  pageSize?: number
}

export type WaitForOptions = WaitOptions

export interface ProjectionCounters {
  readonly name: string
  readonly position: number
  /** Head of the bus minus this projection's position: how far the read model trails. */
  readonly lag: number
  readonly lagged: number
  /** Events its `apply` threw on, and batches its follower failed (then read again from the store). */
  readonly failures: number
  /** Events folded since it started: the tail after its snapshot, or the whole log. */
  readonly folded: number
  readonly snapshots: SnapshotCounters
}

const NO_SNAPSHOTS: SnapshotCounters = { writes: 0, failures: 0, restoredFrom: null }

/**
 * A running projection: the server makes one per definition, and handlers reach it with
 * `ctx.app.projection(definition)`: `.state`, `.position`, `.waitFor(position)`. `start()` rebuilds it from the
 * store and follows the bus (the Follower's rule: it never misses an event); all it adds is
 * applying a batch. One run at a time per object.
 */
export class Projection<State> implements ProjectionDefinition<State> {
  readonly name: string
  readonly initial: () => State
  readonly apply: (state: State, event: StoredEvent) => State
  readonly events?: readonly string[]
  readonly canHandle?: (event: StoredEvent) => boolean
  readonly snapshot?: ProjectionSnapshotOptions<State> | false
  #state: State
  readonly #watermark: Watermark
  readonly #follower: Follower
  #bus: BroadcastRing | null = null
  #keeper: SnapshotKeeper<State> | null = null
  #failures = 0
  #folded = 0
  #stopping = false
  #isStarting = false
  readonly #log: Logger
  readonly #snapshotPolicy: SnapshotPolicy | undefined

  constructor(definition: ProjectionDefinition<State>, options: ProjectionOptions = {}) {
    this.name = definition.name
    this.initial = definition.initial
    this.apply = definition.apply
    this.events = definition.events
    this.canHandle = definition.canHandle
    this.snapshot = definition.snapshot
    this.#state = definition.initial()
    this.#log = options.log ?? createLogger()
    this.#snapshotPolicy = options.snapshotPolicy
    this.#watermark = new Watermark(`projection "${this.name}"`)
    this.#follower = new Follower(
      `projection "${this.name}"`,
      { handle: (batch) => this.#applyBatch(batch) },
      { log: this.#log },
    )
  }

  get state(): State {
    return this.#state
  }

  /** The global position of the last event this state reflects. */
  get position(): number {
    return this.#watermark.position
  }

  get isRunning(): boolean {
    return this.#follower.isRunning
  }

  counters(): ProjectionCounters {
    const position = this.position
    const head = this.isRunning ? (this.#bus?.position ?? position) : position
    const follower = this.#follower.counters()
    return {
      name: this.name,
      position,
      lag: Math.max(0, head - position),
      lagged: follower.lagged,
      failures: this.#failures + follower.failures,
      folded: this.#folded,
      snapshots: this.#keeper?.counters() ?? NO_SNAPSHOTS,
    }
  }

  /**
   * Restores the newest valid snapshot (with `snapshots` in the sources) or starts from `initial`,
   * folds the rest of the store, then follows the bus until `stop()` or the bus closes.
   */
  async start(sources: ProjectionSources, options: StartProjectionOptions = {}): Promise<void> {
    const { pageSize = 1_000 } = options
    if (this.isRunning) throw new Error(`Cannot start projection "${this.name}": it is already running`)
    this.#bus = sources.bus
    this.#stopping = false
    this.#folded = 0
    this.#keeper = this.#keeperFor(sources)
    const restored = (await this.#keeper?.restore(await sources.store.headPosition())) ?? null
    this.#state = restored ? restored.state : this.initial()
    this.#watermark.open(restored?.position ?? 0)
    this.#isStarting = true
    try {
      await this.#follower.start({ ...sources, watermark: this.#watermark }, { batchSize: pageSize })
    } finally {
      this.#isStarting = false
    }
    this.#keeper?.folded(0) // the checkpoint held back during the catch-up, if one is due
  }

  /**
   * Stops following the bus (a catch-up in progress gives up after its page), then writes a last
   * snapshot so the next start folds nothing it folded; pending `waitFor` calls reject (see Watermark).
   */
  async stop(): Promise<void> {
    this.#stopping = true
    await this.#follower.stop()
    await this.#keeper?.flush()
  }

  /** Resolves once the state reflects `position` (read-your-writes after a command). */
  waitFor(position: number, options: WaitForOptions = {}): Promise<void> {
    return this.#watermark.waitFor(position, options)
  }

  #keeperFor(sources: ProjectionSources): SnapshotKeeper<State> | null {
    if (!sources.snapshots || this.snapshot === false) return null
    const {
      version = 1,
      codec = jsonSnapshotCodec<State>(),
      source = `${this.initial}\n${this.apply}`,
    } = this.snapshot ?? {}
    return new SnapshotKeeper({
      name: this.name,
      fingerprint: fingerprintOf({ name: this.name, version, source, events: this.events }, sources.registry),
      codec,
      store: sources.snapshots,
      log: this.#log,
      capture: () => ({ state: this.#state, position: this.position }),
      policy: this.#snapshotPolicy,
    })
  }

  #applyBatch(batch: Batch): Promise<void> | undefined {
    if (batch.kind === 'lagged') return // a follower with a store catches up instead
    if (batch.kind === 'log' && this.#stopping) {
      throw new Error(`Cannot catch projection "${this.name}" up: it is stopping`)
    }
    for (const event of batch.events) {
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
    }
    const last = batch.events.at(-1)
    if (last) this.#watermark.advance(last.position)
    this.#folded += batch.events.length
    this.#keeper?.folded(batch.events.length, { hold: this.#isStarting })
    // Reading the store never waits on I/O, so a long catch-up would keep every request waiting:
    // after each page the event loop answers what came in (/healthz, pages of ready slices).
    if (batch.kind === 'log') return nextTurn()
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** A slice's own event type (`{ type, data }`); `apply` sees it as stored, with stream and position. */
type DomainEvent = { readonly type: string }

export interface ProjectionDeclaration<State, Event extends DomainEvent> {
  readonly name: string
  readonly initial: () => State
  /** Folds one event it handles; never called with other events. */
  readonly apply: (state: State, event: StoredEvent & Event) => State
  /** The event types it folds; with none, `apply` sees every event. */
  readonly events?: readonly Event['type'][]
  /** With `events`: only events of streams of this type. */
  readonly streamType?: string
  /** Its snapshots' version and codec; `false` always folds from 0. @default JSON, version 1 */
  readonly snapshot?: Omit<ProjectionSnapshotOptions<State>, 'source'> | false
}

/**
 * Declares a projection (a definition, no state): the slice lists it in `projections`, the
 * server runs it, handlers read it through `ctx.app.projection(definition)`. Declaring the
 * event types it handles (like Emmett's `canHandle`) registers them and filters `apply`.
 */
export function defineProjection<State, Event extends DomainEvent = StoredEvent>(
  declaration: ProjectionDeclaration<State, Event>,
): ProjectionDefinition<State> {
  const { name, initial, apply, events, streamType } = declaration
  // The fold as written: the filtering wrapper below is the same for every projection.
  const source = JSON.stringify([String(initial), String(apply), events ?? null, streamType ?? null])
  const snapshot = declaration.snapshot === false ? false : { ...declaration.snapshot, source }
  if (!events) return { name, initial, apply: apply as ProjectionDefinition<State>['apply'], snapshot }
  const types: ReadonlySet<string> = new Set(events)
  const canHandle = (event: StoredEvent): event is StoredEvent & Event =>
    types.has(event.type) && (streamType === undefined || event.stream.type === streamType)
  return {
    name,
    initial,
    events,
    canHandle,
    apply: (state, event) => (canHandle(event) ? apply(state, event) : state),
    snapshot,
  }
}

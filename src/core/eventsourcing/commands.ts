import { LruMap } from '../bounded-map.ts'
import { isExpectedError, UnexpectedError, VersionConflict } from '../errors.ts'
import { CommandIdScopes } from './command-ids.ts'
import { type Decider, decideAll, fold } from './decider.ts'
import { type NewEvent, type StoredEvent, type StreamRef, streamKey } from './events.ts'
import type { EventStore } from './store/event-store.ts'

export interface CommandOptions {
  /** Makes the command idempotent: a retry with the same id returns the first outcome. */
  commandId?: string
  metadata?: Readonly<Record<string, unknown>>
}

export interface CommandResult {
  readonly events: readonly StoredEvent[]
  /** The stream's version after the command. */
  readonly version: number
  /** The global position the command's effects are visible at (0 when nothing was written). */
  readonly position: number
  readonly duplicate: boolean
}

export interface CommandOutcome {
  readonly streamType: string
  readonly durationMs: number
  readonly outcome: 'ok' | 'refused' | 'conflict' | 'error'
}

export interface CommandHandlerOptions {
  /** Streams whose folded state is kept in memory. @default 10000 */
  cacheSize?: number
  /** Retries after a VersionConflict before the conflict is reported. @default 5 */
  maxRetries?: number
  /** Told about every handled command (metrics). */
  observe?: (outcome: CommandOutcome) => void
}

interface CachedStream {
  readonly decider: object
  readonly state: unknown
  readonly version: number
}

/**
 * The write pipeline: load → decide → append → (the store publishes on commit).
 *
 * Folded state is cached per stream and advanced *speculatively* as soon as a command's
 * events are handed to the store, so concurrent commands on one stream pipeline into the
 * same group commit instead of conflicting. The store stays the arbiter: if an append fails,
 * the entry is dropped, and any command decided on top of it conflicts and retries from disk.
 */
export class CommandHandler {
  readonly #store: EventStore
  readonly #cache: LruMap<string, CachedStream>
  readonly #maxRetries: number
  readonly #observe: ((outcome: CommandOutcome) => void) | undefined
  readonly #listeners = new Set<(outcome: CommandOutcome) => void>()
  readonly #ids = new CommandIdScopes()

  constructor(store: EventStore, options: CommandHandlerOptions = {}) {
    const { cacheSize = 10_000, maxRetries = 5, observe } = options
    this.#store = store
    this.#cache = new LruMap(cacheSize)
    this.#maxRetries = maxRetries
    this.#observe = observe
  }

  async handle<State, Command, Event extends NewEvent>(
    decider: Decider<State, Command, Event>,
    stream: StreamRef,
    command: Command,
    options: CommandOptions = {},
  ): Promise<CommandResult> {
    const started = performance.now()
    const report = (outcome: CommandOutcome['outcome']) =>
      this.#report({ streamType: stream.type, durationMs: performance.now() - started, outcome })
    const commandId = options.commandId ?? this.#ids.next()
    const identified = commandId === undefined ? options : { ...options, commandId }
    try {
      const result =
        (await this.#alreadyApplied(identified)) ??
        (await this.#handleWithRetries(decider, stream, command, identified))
      report('ok')
      return result
    } catch (error) {
      if (error instanceof VersionConflict) report('conflict')
      else if (isExpectedError(error)) report('refused')
      else report('error')
      throw isExpectedError(error) || error instanceof UnexpectedError
        ? error
        : new UnexpectedError(`Cannot handle command on stream "${streamKey(stream)}"`, { cause: error })
    }
  }

  /**
   * Runs `work` so that every command it handles without a `commandId` gets one derived from
   * `base` (`base.0`, `base.1`, … in call order): a retry of the same work writes nothing twice.
   */
  withCommandIds<T>(base: string, work: () => Promise<T>): Promise<T> {
    return this.#ids.run(base, work)
  }

  /** Tells `listener` about every handled command from now on (analytics samples); returns the remover. */
  onOutcome(listener: (outcome: CommandOutcome) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #report(outcome: CommandOutcome): void {
    this.#observe?.(outcome)
    for (const listener of this.#listeners) listener(outcome)
  }

  /** Drops cached state, e.g. after the log was changed behind the pipeline's back. */
  forget(stream?: StreamRef): void {
    if (stream) this.#cache.delete(streamKey(stream))
    else this.#cache.clear()
  }

  /**
   * The first outcome of a command whose id was already applied, before deciding again: the
   * state has moved on since (a retried delete would find nothing left to delete).
   */
  async #alreadyApplied({ commandId }: CommandOptions): Promise<CommandResult | null> {
    const applied = commandId === undefined ? null : await this.#store.findCommand(commandId)
    if (!applied) return null
    return { events: applied.events, version: applied.nextVersion, position: applied.position, duplicate: true }
  }

  async #handleWithRetries<State, Command, Event extends NewEvent>(
    decider: Decider<State, Command, Event>,
    stream: StreamRef,
    command: Command,
    options: CommandOptions,
  ): Promise<CommandResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#handleOnce(decider, stream, command, options)
      } catch (error) {
        if (!(error instanceof VersionConflict) || attempt >= this.#maxRetries) throw error
      }
    }
  }

  async #handleOnce<State, Command, Event extends NewEvent>(
    decider: Decider<State, Command, Event>,
    stream: StreamRef,
    command: Command,
    options: CommandOptions,
  ): Promise<CommandResult> {
    const key = streamKey(stream)
    // 1. Load the stream's folded state: the cache, else the log. Re-read the cache after
    //    awaiting, since a command decided meanwhile may have advanced it.
    let loaded = this.#cached(key, decider) ?? (await this.#load(decider, stream, key))

    // 2. Decide. Pure and synchronous: a refusal throws RuleViolation. A refusal decided on
    //    cached state is only trusted once confirmed on state read back from the log, since
    //    another writer may have moved the stream on.
    let events: readonly Event[]
    try {
      events = decideAll(decider, loaded.state as State, command)
    } catch (refusal) {
      this.#cache.delete(key)
      const fresh = await this.#load(decider, stream, key)
      if (fresh.version <= loaded.version) throw refusal
      loaded = fresh
      events = decideAll(decider, loaded.state as State, command)
    }
    if (events.length === 0) return { events: [], version: loaded.version, position: 0, duplicate: false }

    // 3. Advance the cache before the append resolves, so the next command builds on this one.
    const speculative = {
      decider,
      state: fold(decider, loaded.state as State, events),
      version: loaded.version + events.length,
    }
    this.#cache.set(key, speculative)

    // 4. Append with the version the decision was made at; durable when it resolves.
    try {
      const appended = await this.#store.append(stream, loaded.version, events, options)
      if (appended.duplicate) this.#cache.delete(key)
      return {
        events: appended.events,
        version: appended.nextVersion,
        position: appended.position,
        duplicate: appended.duplicate,
      }
    } catch (error) {
      this.#cache.delete(key)
      throw error
    }
  }

  #cached(key: string, decider: object): CachedStream | undefined {
    const cached = this.#cache.get(key)
    return cached && cached.decider === decider ? cached : undefined
  }

  async #load<State, Event extends NewEvent>(
    decider: Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>,
    stream: StreamRef,
    key: string,
  ): Promise<CachedStream> {
    const history = await this.#store.readStream(stream)
    const loaded = {
      decider,
      // Stored events of a stream are the events its decider produced.
      state: fold(decider, decider.initialState(), history as unknown as Event[]),
      version: history.at(-1)?.version ?? 0,
    }
    const raced = this.#cached(key, decider)
    if (raced && raced.version >= loaded.version) return raced
    this.#cache.set(key, loaded)
    return loaded
  }
}

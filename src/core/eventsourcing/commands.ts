import { LruMap } from '../bounded-map.ts'
import { isExpectedError, OverloadedError, UnexpectedError, VersionConflict } from '../errors.ts'
import type { TurnBudget } from '../turn-budget.ts'
import { CommandIdScopes } from './command-ids.ts'
import { type Decider, decideAll, fold } from './decider.ts'
import { type NewEvent, type StoredEvent, type StreamRef, streamKey } from './events.ts'
import type { EventStore } from './store/event-store.ts'
import { type Snapshot, StreamState } from './stream-state.ts'

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
  /**
   * Turns of the event loop shared with other work: one commit settles a whole batch of commands
   * at once, and each then answers in its turn, not all before the next request is read.
   */
  turns?: TurnBudget
}

/**
 * The write pipeline: load → decide → append → (the store publishes on commit).
 *
 * Folded state is cached per stream and advanced *speculatively* as soon as a command's
 * events are handed to the store, so concurrent commands on one stream pipeline into the
 * same group commit instead of conflicting. The store stays the arbiter: an append decided on
 * another still queued commits only if that one did (a ChainLink), and if an append fails,
 * the cache rolls back to what it was decided on (see StreamState), and a conflict makes the
 * next command read only the log's events after the last committed state, never the whole
 * stream again: a burst of refused appends on a long stream costs no refold.
 */
export class CommandHandler {
  readonly #store: EventStore
  readonly #cache: LruMap<string, StreamState>
  /** Reads of the log under way, per stream, so concurrent commands share one. */
  readonly #reads = new Map<string, Promise<StreamState>>()
  readonly #maxRetries: number
  readonly #observe: ((outcome: CommandOutcome) => void) | undefined
  readonly #turns: TurnBudget | undefined
  readonly #listeners = new Set<(outcome: CommandOutcome) => void>()
  readonly #ids = new CommandIdScopes()

  constructor(store: EventStore, options: CommandHandlerOptions = {}) {
    const { cacheSize = 10_000, maxRetries = 5, observe, turns } = options
    this.#store = store
    this.#cache = new LruMap(cacheSize)
    this.#maxRetries = maxRetries
    this.#observe = observe
    this.#turns = turns
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
      await this.#turns?.pass() // committed: never refused, only deferred
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
    // 1. The stream's state: cached, else read from the log (only its tail when the cache knows the rest).
    let cached = await this.#current(decider, stream, key)
    let base = cached.head

    // 2. Decide. Pure and synchronous: a refusal throws RuleViolation. A refusal decided on
    //    cached state is only trusted once the log shows nothing newer, since another writer
    //    may have moved the stream on.
    let events: readonly Event[]
    try {
      events = decideAll(decider, base.state as State, command)
    } catch (refusal) {
      const newer = await this.#store.readStream(stream, base.version + 1)
      if (newer.length === 0) throw refusal
      cached = await this.#afterForeignWrites(decider, stream, key, cached, base, newer)
      base = cached.head
      events = decideAll(decider, base.state as State, command)
    }
    if (events.length === 0) return { events: [], version: base.version, position: 0, duplicate: false }

    // 3. Advance the cache before the append resolves, so the next command builds on this one.
    const speculative = cached.advance(fold(decider, base.state as State, events), base.version + events.length)

    // 4. Append with the version the decision was made at; durable when it resolves.
    try {
      const chain = speculative.link
      const appended = await this.#store.append(stream, base.version, events, { ...options, chain })
      if (appended.duplicate) cached.discard(speculative, { missedEvents: true })
      else if (!cached.commit(speculative)) this.#forgetEntry(key, cached)
      return {
        events: appended.events,
        version: appended.nextVersion,
        position: appended.position,
        duplicate: appended.duplicate,
      }
    } catch (error) {
      // A refused append (overload) wrote nothing and says nothing about the log; a conflict
      // or a failed commit may mean the log has events this cache has not seen.
      cached.discard(speculative, { missedEvents: !(error instanceof OverloadedError) })
      throw error
    }
  }

  /** Drops `entry` unless the stream's entry was replaced since (evicted and loaded again). */
  #forgetEntry(key: string, entry: StreamState): void {
    if (this.#cache.get(key) === entry) this.#cache.delete(key)
  }

  #cached(key: string, decider: object): StreamState | undefined {
    const cached = this.#cache.get(key)
    return cached && cached.decider === decider ? cached : undefined
  }

  /** The stream's cached state, brought up to date; one read per stream at a time. */
  #current<State, Event extends NewEvent>(
    decider: Folder<State, Event>,
    stream: StreamRef,
    key: string,
  ): Promise<StreamState> | StreamState {
    const cached = this.#cached(key, decider)
    if (cached && !cached.needsTail) return cached
    const reading = this.#reads.get(key)
    if (reading) return reading.then((read) => (read.decider === decider ? read : this.#current(decider, stream, key)))
    const read = (cached ? this.#readTail(decider, stream, cached) : this.#load(decider, stream, key)).finally(() =>
      this.#reads.delete(key),
    )
    this.#reads.set(key, read)
    return read
  }

  /** Folds the log's events after the committed snapshot onto it: no whole-stream fold. */
  async #readTail<State, Event extends NewEvent>(
    decider: Folder<State, Event>,
    stream: StreamRef,
    cached: StreamState,
  ): Promise<StreamState> {
    const from = cached.committed
    const tail = await this.#store.readStream(stream, from.version + 1)
    // An append decided meanwhile builds on `from`; it will conflict if the tail was not empty.
    if (cached.committed === from && cached.head === from) {
      cached.caughtUp(fold(decider, from.state as State, asEvents(tail)), tail.at(-1)?.version ?? from.version)
    }
    return cached
  }

  /**
   * Another writer moved the stream past everything this cache decided on, so every append
   * still in flight on it will conflict: fold the tail when nothing is in flight, else the log.
   */
  async #afterForeignWrites<State, Event extends NewEvent>(
    decider: Folder<State, Event>,
    stream: StreamRef,
    key: string,
    cached: StreamState,
    base: Snapshot,
    newer: readonly StoredEvent[],
  ): Promise<StreamState> {
    if (cached.head === base && cached.committed === base) {
      cached.caughtUp(fold(decider, base.state as State, asEvents(newer)), newer.at(-1)?.version ?? base.version)
      return cached
    }
    this.#cache.delete(key)
    return this.#current(decider, stream, key)
  }

  async #load<State, Event extends NewEvent>(
    decider: Folder<State, Event>,
    stream: StreamRef,
    key: string,
  ): Promise<StreamState> {
    const history = await this.#store.readStream(stream)
    const loaded = new StreamState(
      decider,
      fold(decider, decider.initialState(), asEvents(history)),
      history.at(-1)?.version ?? 0,
    )
    const raced = this.#cached(key, decider)
    if (raced && raced.head.version >= loaded.head.version) return raced
    this.#cache.set(key, loaded)
    return loaded
  }
}

type Folder<State, Event extends NewEvent> = Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>

/** Stored events of a stream are the events its decider produced. */
function asEvents<Event extends NewEvent>(stored: readonly StoredEvent[]): readonly Event[] {
  return stored as unknown as readonly Event[]
}

import { FaultPeriod } from '../ops/fault-period.ts'
import { createLogger, type Logger } from '../ops/log.ts'
import type { BroadcastRing, BusSubscription } from './bus.ts'
import type { StoredEvent } from './events.ts'
import type { EventStore } from './store/event-store.ts'
import type { Watermark } from './watermark.ts'

/**
 * What a reader is handed, always in position order and never twice: a page read from the
 * store (`log`: replay and catch-up), events drained from the ring (`live`), or, for a reader
 * without a store, word that it fell behind the ring (`lagged`: resync from current state).
 */
export type Batch =
  | { readonly kind: 'log' | 'live'; readonly events: readonly StoredEvent[] }
  | { readonly kind: 'lagged'; readonly position: number }

/** The store, page by page from the watermark, for a handler that takes catch-up pages itself. */
export interface LogReader {
  /** The next page (at most a batch), or null once the log is read to its end. */
  read(): Promise<readonly StoredEvent[] | null>
  /** The next read starts again from the watermark, e.g. after a write was rolled back. */
  rewind(): void
}

/** The one thing a reader decides: what to do with a batch. */
export interface BatchHandler {
  handle(batch: Batch): void | Promise<void>
  /**
   * Reads a catch-up's pages itself, e.g. to write several in one transaction, until `read()`
   * gives null. Without it each page is handed to `handle` as a `log` batch.
   */
  catchUp?(log: LogReader): Promise<void>
}

export interface FollowerSources {
  readonly bus: BroadcastRing
  /** Where history is read from; without one, a lag is handed over as a `lagged` batch. */
  readonly store?: EventStore
  /** How far the reader has got: where replay starts and catch-up resumes. Required with a store. */
  readonly watermark?: Watermark
}

export interface FollowerOptions {
  /** Wait before reading the store again after a failed batch. @default 1000 */
  retryMs?: number
  log?: Logger
}

export interface StartFollowingOptions {
  /** Events in one store page and in one live batch, at most. @default 1000 */
  batchSize?: number
}

export interface FollowerCounters {
  readonly lagged: number
  readonly failures: number
}

/**
 * The read side's one delicate rule, written once: subscribe to the ring *before* reading the
 * store, page through the store from the watermark, then follow the ring; after a `lagged`
 * message, catch up from the store (or hand a `lagged` batch over when there is none). Ring
 * events the store replay already covered are dropped, so nothing is missed and nothing comes
 * twice. The handler advances the watermark itself, once what it did is visible.
 *
 * A handler that throws is counted and logged, and the follower keeps going: with a store it
 * reads again from the watermark after `retryMs` (retrying until that works or it stops), so
 * failed events are retried rather than skipped; without a store it goes on with the next batch.
 * The follower opens the watermark where it stands when it starts, and closes it when following
 * ends (`stop()` or the ring closes): waiters then reject (see Watermark).
 */
export class Follower {
  readonly name: string
  readonly #handler: BatchHandler
  readonly #retryMs: number
  readonly #faults: FaultPeriod
  #run: Run | null = null
  /** The newest position handed to the handler in this run. */
  #handed = 0
  #lagged = 0
  #failures = 0

  constructor(name: string, handler: BatchHandler, options: FollowerOptions = {}) {
    const { retryMs = 1_000, log = createLogger() } = options
    this.name = name
    this.#handler = handler
    this.#retryMs = retryMs
    this.#faults = new FaultPeriod(log)
  }

  get isRunning(): boolean {
    return this.#run !== null
  }

  counters(): FollowerCounters {
    return { lagged: this.#lagged, failures: this.#failures }
  }

  /**
   * Subscribes (synchronously, before anything else), replays the store, then follows the ring
   * in the background. Resolves once the replay is done; if the replay fails, rejects and stops.
   */
  async start(sources: FollowerSources, options: StartFollowingOptions = {}): Promise<void> {
    if (this.#run) throw new Error(`Cannot start ${this.name}: it is already running`)
    if (sources.store && !sources.watermark) {
      throw new Error(`Cannot follow ${this.name} from the store without a watermark to resume from`)
    }
    const stop = new AbortController()
    const subscription = sources.bus.subscribe({ signal: stop.signal })
    const { batchSize = 1_000 } = options
    const run: Run = { ...sources, batchSize, subscription, stop, loop: Promise.resolve() }
    this.#run = run
    sources.watermark?.open()
    this.#handed = sources.watermark?.position ?? 0
    try {
      if (run.store) await this.#catchUp(run)
    } catch (error) {
      this.#end(run)
      throw error
    }
    run.loop = this.#follow(run).finally(() => this.#end(run))
  }

  /** Stops following (a retry in progress gives up) and waits for the loop to finish. */
  async stop(): Promise<void> {
    const run = this.#run
    if (!run) return
    run.stop.abort()
    await run.loop
  }

  /** Resolves when following ends, by `stop()` or because the ring closed. */
  get finished(): Promise<void> {
    return this.#run?.loop ?? Promise.resolve()
  }

  async #follow(run: Run): Promise<void> {
    while (await run.subscription.ready()) {
      const { events, lagged } = this.#drain(run)
      try {
        if (lagged) await this.#onLag(run, lagged)
        else if (events.length > 0) await this.#handler.handle({ kind: 'live', events })
        this.#faults.recovered(`Following ${this.name} again`)
      } catch (error) {
        this.#failures++
        this.#faults.failed(`Cannot follow ${this.name}: a batch failed`, error)
        if (run.store) await this.#recover(run)
      }
    }
  }

  /**
   * Takes what the ring holds, up to a batch, dropping what the store replay covered. It stops
   * at a lag: the events drained before it are re-read by the catch-up (or covered by the resync),
   * and those after it stay in the ring for the next round.
   */
  #drain(run: Run): { events: StoredEvent[]; lagged: number } {
    const events: StoredEvent[] = []
    while (events.length < run.batchSize) {
      const message = run.subscription.poll()
      if (!message) break
      if (message.kind === 'lagged') {
        this.#lagged++
        return { events, lagged: message.position }
      }
      if (message.event.position <= this.#handed) continue
      this.#handed = message.event.position
      events.push(message.event)
    }
    return { events, lagged: 0 }
  }

  async #onLag(run: Run, position: number): Promise<void> {
    if (run.store) return this.#catchUp(run)
    this.#handed = Math.max(this.#handed, position)
    await this.#handler.handle({ kind: 'lagged', position })
  }

  /** Reads the store from the watermark to its end, handing the pages over. */
  async #catchUp(run: Run): Promise<void> {
    const log = this.#logReader(run)
    if (this.#handler.catchUp) return this.#handler.catchUp(log)
    for (let events = await log.read(); events; events = await log.read()) {
      await this.#handler.handle({ kind: 'log', events })
    }
  }

  #logReader(run: Run): LogReader {
    const store = run.store as EventStore
    let isAtEnd = false
    const rewind = () => {
      this.#handed = run.watermark?.position ?? this.#handed
      isAtEnd = false
    }
    rewind()
    return {
      rewind,
      read: async () => {
        if (isAtEnd) return null
        const page = await store.readAll({ after: this.#handed, limit: run.batchSize })
        isAtEnd = page.length < run.batchSize
        const last = page.at(-1)
        if (!last) return null
        this.#handed = last.position
        return page
      },
    }
  }

  /** After a failed batch: waits, then reads again from the watermark until that works or it stops. */
  async #recover(run: Run): Promise<void> {
    const stopped = run.stop.signal
    while (!stopped.aborted) {
      await sleep(this.#retryMs, stopped)
      if (stopped.aborted) return
      try {
        await this.#catchUp(run)
        this.#faults.recovered(`Following ${this.name} again`)
        return
      } catch (error) {
        this.#failures++
        this.#faults.failed(`Cannot catch ${this.name} up from the store; retrying`, error)
      }
    }
  }

  #end(run: Run): void {
    run.subscription.close()
    if (this.#run === run) this.#run = null
    run.watermark?.close()
  }
}

interface Run extends FollowerSources {
  readonly batchSize: number
  readonly subscription: BusSubscription
  readonly stop: AbortController
  loop: Promise<void>
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

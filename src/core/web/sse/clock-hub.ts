import type { Logger } from '../../ops/log.ts'
import { SharedMessage } from './compression.ts'
import { encodePatch } from './encode.ts'
import type { FeedConnection } from './feed-connection.ts'
import type { HubCounters } from './hub-counters.ts'

/** A view the clock drives rather than events (the monitor): re-rendered every `everyMs`. */
export interface ClockView {
  readonly key: string
  readonly everyMs: number
  /** The whole region as HTML with ids, for a fat morph; pure, synchronous. */
  readonly render: () => string
}

export interface ClockHubOptions {
  /** The id each patch carries: the bus head when it was rendered. */
  readonly position: () => number
  readonly onEmpty: (hub: ClockHub) => void
  readonly log: Logger
}

/**
 * Every connection showing one clock-driven view: one timer, one render per tick, the same
 * bytes written to each. The timer runs only while a connection is open; a new connection
 * gets the current render at once.
 */
export class ClockHub {
  readonly key: string
  readonly #view: ClockView
  readonly #options: ClockHubOptions
  readonly #live = new Set<FeedConnection>()
  #timer: ReturnType<typeof setInterval> | null = null
  #renders = 0
  /** The tick's message, chained to the one before for connections that are in step. */
  #shared: SharedMessage | null = null

  constructor(view: ClockView, options: ClockHubOptions) {
    this.key = view.key
    this.#view = view
    this.#options = options
  }

  get connections(): number {
    return this.#live.size
  }

  counters(): HubCounters {
    return { lagged: 0, renders: this.#renders, failures: 0 }
  }

  join(connection: FeedConnection): void {
    if (connection.isEnded) return
    this.#live.add(connection)
    const bytes = this.#render()
    if (bytes) connection.write(bytes)
    this.#timer ??= setInterval(() => this.#tick(), this.#view.everyMs)
  }

  leave(connection: FeedConnection): void {
    if (!this.#live.delete(connection) || this.#live.size > 0) return
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.#options.onEmpty(this)
  }

  #tick(): void {
    const bytes = this.#render()
    if (!bytes) return
    this.#shared = new SharedMessage(bytes, this.#shared)
    for (const connection of this.#live) connection.writeShared(this.#shared)
  }

  #render(): Uint8Array | null {
    try {
      const bytes = encodePatch(this.#view.render(), this.#options.position())
      this.#renders++
      return bytes
    } catch (error) {
      this.#options.log.error(`Feed "${this.key}" failed to render`, { error })
      return null
    }
  }
}

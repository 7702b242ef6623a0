import type { StoredEvent } from '../../eventsourcing/events.ts'
import type { WaitOptions } from '../../eventsourcing/watermark.ts'
import type { Logger } from '../../ops/log.ts'
import { SharedMessage } from './compression.ts'
import { encodePatch } from './encode.ts'
import type { FeedConnection } from './feed-connection.ts'

/** The read model a fragment renders from: the feed waits for it before rendering. */
export interface ViewSource {
  readonly position: number
  /** The events it folds, when it declares them (a projection's `canHandle`). */
  readonly canHandle?: (event: StoredEvent) => boolean
  waitFor(position: number, options?: WaitOptions): Promise<void>
}

/** One fragment of a feed. One `key` means one view: same relevance, same bytes for every client. */
export interface FeedView {
  readonly key: string
  readonly isRelevant: (event: StoredEvent) => boolean
  /** The fragment as HTML with ids, for a fat morph; pure, synchronous. */
  readonly render: () => string
  readonly sources: readonly ViewSource[]
}

/**
 * One render of a fragment at the position its sources had reached, encoded once and shared by
 * every connection: with an id line in front (the order of an event's fields is free), or
 * without one for a patch that is not the last a connection gets for a change (its id would
 * claim fragments not yet sent). Only the bytes are kept, not the HTML.
 */
export class Snapshot {
  readonly position: number
  readonly #withoutId: Uint8Array
  #withId: { readonly id: number; readonly bytes: Uint8Array } | null = null

  constructor(html: string, position: number) {
    this.#withoutId = encodePatch(html, null) // throws for an empty render
    this.position = position
  }

  bytes(id: number | null): Uint8Array {
    if (id === null) return this.#withoutId
    if (this.#withId?.id !== id) this.#withId = { id, bytes: withIdLine(this.#withoutId, id) }
    return this.#withId.bytes
  }
}

const utf8 = new TextEncoder()

function withIdLine(event: Uint8Array, id: number): Uint8Array {
  const line = utf8.encode(`id: ${id}\n`)
  const bytes = new Uint8Array(line.byteLength + event.byteLength)
  bytes.set(line)
  bytes.set(event, line.byteLength)
  return bytes
}

/**
 * A fragment as its feed hub holds it: the view, the connections showing it, and its newest
 * render, which a connection that joins while a change is in flight is sent too.
 */
export class FeedFragment {
  readonly key: string
  readonly live = new Set<FeedConnection>()
  /** Connections still catching up; the fragment lives while either set is not empty. */
  joining = 0
  last: Snapshot | null = null
  renders = 0
  /** The message broadcast last: the dictionary of the next one's warm bytes. */
  #shared: SharedMessage | null = null
  readonly #view: FeedView
  readonly #log: Logger
  readonly #fallbackPosition: () => number

  constructor(view: FeedView, options: { readonly log: Logger; readonly position: () => number }) {
    this.key = view.key
    this.#view = view
    this.#log = options.log
    this.#fallbackPosition = options.position
  }

  get isEmpty(): boolean {
    return this.live.size === 0 && this.joining === 0
  }

  isRelevant = (event: StoredEvent): boolean => {
    try {
      return this.#view.isRelevant(event)
    } catch (error) {
      // Unsure means relevant: an extra fat morph is harmless, a missed one is not.
      this.#log.error(`Feed fragment "${this.key}" could not classify an event`, { position: event.position, error })
      return true
    }
  }

  async waitForSources(position: number, timeoutMs: number): Promise<void> {
    try {
      await Promise.all(this.#view.sources.map((source) => source.waitFor(position, { timeoutMs })))
    } catch (error) {
      this.#log.warn(`Feed fragment "${this.key}" renders without waiting for its projections`, { error })
    }
  }

  /** The position the fragment reflects: every source has applied at least this far. */
  viewPosition(): number {
    if (this.#view.sources.length === 0) return this.#fallbackPosition()
    return Math.min(...this.#view.sources.map((source) => source.position))
  }

  /** The next message broadcast to this fragment's connections, chained to the one before. */
  share(bytes: Uint8Array): SharedMessage {
    this.#shared = new SharedMessage(bytes, this.#shared)
    return this.#shared
  }

  /** Renders once per position; later callers at that position reuse the bytes. */
  snapshot(): Snapshot | null {
    const position = this.viewPosition()
    if (this.last && this.last.position === position) return this.last
    let snapshot: Snapshot
    try {
      snapshot = new Snapshot(this.#view.render(), position)
    } catch (error) {
      this.#log.error(`Feed fragment "${this.key}" failed to render`, { position, error })
      return null
    }
    this.renders++
    if (!this.last || position > this.last.position) this.last = snapshot
    return snapshot
  }
}

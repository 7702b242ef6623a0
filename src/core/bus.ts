import type { StoredEvent } from './events.ts'

/** What a subscriber reads: the next event, or word that it fell behind the ring. */
export type BusMessage =
  | { readonly kind: 'event'; readonly event: StoredEvent }
  | {
      readonly kind: 'lagged'
      /** How many events the subscriber can no longer get from the ring. */
      readonly missed: number
      /** The newest published position: resync from the store up to here, then keep reading. */
      readonly position: number
    }

export interface SubscribeOptions {
  /** Unsubscribes the moment it aborts (a disconnected client's `req.signal`). */
  signal?: AbortSignal
}

export interface BusCounters {
  readonly subscribers: number
  readonly published: number
  readonly lagged: number
  /** The newest published global position (0 before the first event). */
  readonly position: number
}

interface Subscriber {
  cursor: number
  wake: (() => void) | null
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined }

/**
 * One writer, many readers, a fixed ring of slots. Publishing writes a slot and wakes the
 * waiting readers; it never copies into per-subscriber queues, so its cost does not grow
 * with the number of subscribers, and a slow reader costs no memory: once the ring has
 * overwritten its cursor it gets a `lagged` message instead of the events it missed.
 */
export class BroadcastRing {
  readonly #slots: (StoredEvent | undefined)[]
  readonly #capacity: number
  readonly #subscribers = new Set<Subscriber>()
  #head = 0
  #position = 0
  #tick!: Promise<void>
  #releaseTick!: () => void
  #lagged = 0
  #closed = false

  constructor(capacity = 256) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`Cannot size ring: capacity ${capacity}`)
    this.#capacity = capacity
    this.#slots = new Array(capacity)
    this.#newTick()
  }

  get capacity(): number {
    return this.#capacity
  }

  counters(): BusCounters {
    return { subscribers: this.#subscribers.size, published: this.#head, lagged: this.#lagged, position: this.#position }
  }

  /** Publishes committed events in global-position order; positions already published are ignored. */
  publish(events: readonly StoredEvent[]): void {
    let published = false
    for (const event of events) {
      if (event.position <= this.#position) continue
      this.#slots[this.#head % this.#capacity] = event
      this.#head++
      this.#position = event.position
      published = true
    }
    if (published) this.#wakeAll()
  }

  /** Ends every subscription (shutdown): readers see their iteration finish. */
  close(): void {
    this.#closed = true
    this.#wakeAll()
  }

  /**
   * Reads everything published from now on. Subscribe *before* reading history, then skip
   * events at or below the position the history reached: nothing falls between the two.
   */
  subscribe(options: SubscribeOptions = {}): AsyncIterableIterator<BusMessage> {
    const { signal } = options
    const subscriber: Subscriber = { cursor: this.#head, wake: null }
    const unsubscribe = () => {
      this.#subscribers.delete(subscriber)
      signal?.removeEventListener('abort', unsubscribe)
      subscriber.wake?.()
    }
    if (signal?.aborted || this.#closed) {
      return { next: async () => DONE, return: async () => DONE, [Symbol.asyncIterator]: () => iterator }
    }
    this.#subscribers.add(subscriber)
    signal?.addEventListener('abort', unsubscribe, { once: true })

    const next = async (): Promise<IteratorResult<BusMessage, undefined>> => {
      while (this.#subscribers.has(subscriber)) {
        const message = this.#read(subscriber)
        if (message) return { done: false, value: message }
        // Waiting readers share one promise per publish; `wake` only serves unsubscribe.
        await new Promise<void>((resolve) => {
          subscriber.wake = resolve
          void this.#tick.then(resolve)
        })
        subscriber.wake = null
      }
      return DONE
    }
    const iterator: AsyncIterableIterator<BusMessage> = {
      next,
      return: async () => {
        unsubscribe()
        return DONE
      },
      [Symbol.asyncIterator]: () => iterator,
    }
    return iterator
  }

  #read(subscriber: Subscriber): BusMessage | null {
    if (this.#closed) {
      this.#subscribers.delete(subscriber)
      return null
    }
    if (subscriber.cursor >= this.#head) return null
    const oldest = this.#head - this.#capacity
    if (subscriber.cursor < oldest) {
      const missed = oldest - subscriber.cursor
      subscriber.cursor = this.#head
      this.#lagged++
      return { kind: 'lagged', missed, position: this.#position }
    }
    const event = this.#slots[subscriber.cursor % this.#capacity] as StoredEvent
    subscriber.cursor++
    return { kind: 'event', event }
  }

  #wakeAll(): void {
    const release = this.#releaseTick
    this.#newTick()
    release()
  }

  #newTick(): void {
    this.#tick = new Promise((resolve) => {
      this.#releaseTick = resolve
    })
  }
}

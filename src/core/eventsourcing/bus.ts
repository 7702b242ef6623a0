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

/** A cursor on the ring: iterate it, or drain it synchronously with `poll()` after `ready()`. */
export interface BusSubscription extends AsyncIterableIterator<BusMessage, undefined> {
  /** The next message if one is ready, else null; never waits. */
  poll(): BusMessage | null
  /** Resolves true when a message may be ready, false once the subscription has ended. */
  ready(): Promise<boolean>
  /** Ends the iteration and unsubscribes (what `break` in a `for await` calls). */
  return(): Promise<IteratorResult<BusMessage, undefined>>
  /** Unsubscribes at once; a pending `next()` or `ready()` settles as finished. */
  close(): void
  readonly isClosed: boolean
}

/** Unsubscribes of waiting readers tolerated before the shared tick is renewed (see #forgetWaiter). */
const STALE_WAITER_LIMIT = 1024

/**
 * One writer, many readers, a fixed ring of slots. Publishing writes a slot and schedules the
 * resolution of one shared promise that every waiting reader awaits; it never copies into per-subscriber
 * queues, so its cost does not grow with the number of subscribers, and a slow reader costs
 * no memory: once the ring has overwritten its cursor it gets a `lagged` message instead of
 * the events it missed.
 */
export class BroadcastRing {
  readonly #slots: (StoredEvent | undefined)[]
  readonly #capacity: number
  readonly #subscribers = new Set<RingSubscription>()
  #head = 0
  #position = 0
  #tick!: Promise<void>
  #releaseTick!: () => void
  #staleWaiters = 0
  #wakeScheduled = false
  #lagged = 0
  #closed = false

  constructor(capacity = 256) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`Cannot create broadcast ring: capacity ${capacity} is not a whole number ≥ 1`)
    }
    this.#capacity = capacity
    this.#slots = new Array(capacity)
    this.#newTick()
  }

  get capacity(): number {
    return this.#capacity
  }

  /** The newest published global position (0 before the first event). */
  get position(): number {
    return this.#position
  }

  get isClosed(): boolean {
    return this.#closed
  }

  counters(): BusCounters {
    return {
      subscribers: this.#subscribers.size,
      published: this.#head,
      lagged: this.#lagged,
      position: this.#position,
    }
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
    if (published) this.#scheduleWake()
  }

  /** Ends every subscription (shutdown): readers see their iteration finish. */
  close(): void {
    this.#closed = true
    for (const subscriber of this.#subscribers) subscriber.close()
    this.#wakeAll()
  }

  /**
   * Reads everything published from now on. Subscribe *before* reading history, then skip
   * events at or below the position the history reached: nothing falls between the two.
   */
  subscribe(options: SubscribeOptions = {}): BusSubscription {
    const subscription = new RingSubscription(this.#head, {
      read: (cursor) => this.#read(cursor),
      isReady: (cursor) => cursor < this.#head,
      tick: () => this.#tick,
      forget: (wasWaiting) => this.#forget(subscription, wasWaiting),
    })
    if (this.#closed || options.signal?.aborted) subscription.close()
    else {
      this.#subscribers.add(subscription)
      subscription.closeOnAbort(options.signal)
    }
    return subscription
  }

  #read(cursor: { value: number }): BusMessage | null {
    if (cursor.value >= this.#head) return null
    const oldest = this.#head - this.#capacity
    if (cursor.value < oldest) {
      const missed = oldest - cursor.value
      cursor.value = this.#head
      this.#lagged++
      return { kind: 'lagged', missed, position: this.#position }
    }
    const event = this.#slots[cursor.value % this.#capacity] as StoredEvent // slots below head are filled
    cursor.value++
    return { kind: 'event', event }
  }

  // A reader that leaves while waiting stays attached to the shared tick until the next
  // publish; renewing the tick after many such leaves keeps a quiet ring from accumulating them.
  #forget(subscription: RingSubscription, wasWaiting: boolean): void {
    this.#subscribers.delete(subscription)
    if (wasWaiting && ++this.#staleWaiters >= STALE_WAITER_LIMIT) this.#wakeAll()
  }

  // Resolving a promise queues one job per waiting reader, so waking is O(readers) whoever does
  // it. Doing it in a microtask keeps publish() itself O(1) (the commit path returns at once) and
  // wakes readers once for every publish made in the same turn.
  #scheduleWake(): void {
    if (this.#wakeScheduled) return
    this.#wakeScheduled = true
    queueMicrotask(this.#wake)
  }

  // Bound once, so publish() allocates nothing per call.
  readonly #wake = (): void => {
    this.#wakeScheduled = false
    this.#wakeAll()
  }

  #wakeAll(): void {
    const release = this.#releaseTick
    this.#newTick()
    this.#staleWaiters = 0
    release()
  }

  #newTick(): void {
    this.#tick = new Promise((resolve) => {
      this.#releaseTick = resolve
    })
  }
}

interface RingAccess {
  read(cursor: { value: number }): BusMessage | null
  isReady(cursor: number): boolean
  tick(): Promise<void>
  forget(wasWaiting: boolean): void
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined }

class RingSubscription implements BusSubscription {
  readonly #cursor: { value: number }
  readonly #ring: RingAccess
  #wake: (() => void) | null = null
  #closed = false
  #signal: AbortSignal | undefined

  constructor(cursor: number, ring: RingAccess) {
    this.#cursor = { value: cursor }
    this.#ring = ring
  }

  get isClosed(): boolean {
    return this.#closed
  }

  closeOnAbort(signal: AbortSignal | undefined): void {
    this.#signal = signal
    signal?.addEventListener('abort', this.close, { once: true })
  }

  poll(): BusMessage | null {
    return this.#closed ? null : this.#ring.read(this.#cursor)
  }

  async ready(): Promise<boolean> {
    if (this.#closed) return false
    const tick = this.#ring.tick()
    if (this.#ring.isReady(this.#cursor.value)) return true
    await new Promise<void>((resolve) => {
      this.#wake = resolve
      void tick.then(resolve) // settles on the next publish; close() settles it sooner
    })
    this.#wake = null
    return !this.#closed
  }

  async next(): Promise<IteratorResult<BusMessage, undefined>> {
    while (!this.#closed) {
      const message = this.poll()
      if (message) return { done: false, value: message }
      await this.ready()
    }
    return DONE
  }

  async return(): Promise<IteratorResult<BusMessage, undefined>> {
    this.close()
    return DONE
  }

  [Symbol.asyncIterator](): BusSubscription {
    return this
  }

  // An arrow property so it can be an abort listener and be removed again.
  close = (): void => {
    if (this.#closed) return
    this.#closed = true
    this.#signal?.removeEventListener('abort', this.close)
    const wake = this.#wake
    this.#ring.forget(wake !== null)
    wake?.()
  }
}

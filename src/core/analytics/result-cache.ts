export interface ResultCacheOptions<Value = unknown> {
  /** An entry is dropped this long after it was computed, however often it is read. @default 300000 */
  ttlMs?: number
  /** An entry nobody read for this long is dropped. @default 60000 */
  idleMs?: number
  /** Entries kept at most; the least recently used goes first. @default 256 */
  maxEntries?: number
  /** Total size of the entries at most, as `sizeOf` counts; the least recently used go first. @default 32 MiB */
  maxBytes?: number
  /** An entry's size (a query result's `bytes`). @default 0 for every value */
  sizeOf?: (value: Value) => number
  /** The clock, injectable so tests need not sleep. @default performance.now */
  now?: () => number
}

/** Depend on this to be evicted by every event, whatever its type. */
export const ANY_EVENT = '*'

interface Entry<Value> {
  readonly value: Value
  readonly size: number
  readonly dependsOn: readonly string[]
  readonly createdAt: number
  readAt: number
}

export interface CacheCounters {
  readonly size: number
  readonly bytes: number
  readonly hits: number
  readonly misses: number
  readonly evictions: number
}

/**
 * Query results keyed by query and parameters. Each entry names the event types its query
 * reads; an event of such a type evicts it, so a cached answer is never staler than the log
 * except for a query still running when the event arrived, whose result is not stored.
 */
export class ResultCache<Value> {
  readonly #entries = new Map<string, Entry<Value>>()
  readonly #byType = new Map<string, Set<string>>()
  /** Computations in flight, so concurrent callers share one and an event can void it. */
  readonly #pending = new Map<string, { promise: Promise<Value>; dependsOn: readonly string[]; void: boolean }>()
  readonly #ttlMs: number
  readonly #idleMs: number
  readonly #maxEntries: number
  readonly #maxBytes: number
  readonly #sizeOf: (value: Value) => number
  readonly #now: () => number
  #bytes = 0
  #hits = 0
  #misses = 0
  #evictions = 0

  constructor(options: ResultCacheOptions<Value> = {}) {
    const { ttlMs = 300_000, idleMs = 60_000, maxEntries = 256, now = () => performance.now() } = options
    this.#ttlMs = ttlMs
    this.#idleMs = idleMs
    this.#maxEntries = maxEntries
    this.#maxBytes = options.maxBytes ?? 32 * 1024 * 1024
    this.#sizeOf = options.sizeOf ?? (() => 0)
    this.#now = now
  }

  static key(query: string, params: readonly unknown[] = []): string {
    return JSON.stringify([query, params], (_key, value) => (typeof value === 'bigint' ? value.toString() : value))
  }

  counters(): CacheCounters {
    return {
      size: this.#entries.size,
      bytes: this.#bytes,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
    }
  }

  get(key: string): Value | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    const now = this.#now()
    if (now - entry.createdAt >= this.#ttlMs || now - entry.readAt >= this.#idleMs) {
      this.#delete(key)
      return undefined
    }
    entry.readAt = now
    // Re-insertion keeps Map order = least recently used first.
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    return entry.value
  }

  /** Stores the value, unless it alone is over `maxBytes`; older entries make room. */
  set(key: string, value: Value, dependsOn: readonly string[] = []): void {
    this.#delete(key)
    const size = this.#sizeOf(value)
    if (size > this.#maxBytes) return
    const now = this.#now()
    this.#entries.set(key, { value, size, dependsOn, createdAt: now, readAt: now })
    this.#bytes += size
    for (const type of dependsOn) {
      const keys = this.#byType.get(type) ?? new Set<string>()
      this.#byType.set(type, keys)
      keys.add(key)
    }
    while (this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      const oldest = this.#entries.keys().next()
      if (oldest.done) break
      this.#delete(oldest.value)
    }
  }

  /** The cached value, else one shared computation whose result is cached unless an event voided it. */
  async getOrCompute(key: string, dependsOn: readonly string[], compute: () => Promise<Value>): Promise<Value> {
    const cached = this.get(key)
    if (cached !== undefined) {
      this.#hits++
      return cached
    }
    const running = this.#pending.get(key)
    if (running) return running.promise
    this.#misses++
    const pending = { promise: compute(), dependsOn, void: false }
    this.#pending.set(key, pending)
    try {
      const value = await pending.promise
      if (!pending.void) this.set(key, value, dependsOn)
      return value
    } finally {
      if (this.#pending.get(key) === pending) this.#pending.delete(key)
    }
  }

  /** Evicts every entry that depends on one of these event types; returns how many went. */
  evictFor(eventTypes: Iterable<string>): number {
    const types = new Set(eventTypes)
    if (types.size === 0) return 0
    types.add(ANY_EVENT)
    let evicted = 0
    for (const type of types) {
      for (const key of this.#byType.get(type) ?? []) {
        this.#delete(key)
        evicted++
      }
    }
    for (const [key, pending] of this.#pending) {
      if (pending.dependsOn.some((type) => types.has(type))) {
        pending.void = true
        this.#pending.delete(key)
      }
    }
    this.#evictions += evicted
    return evicted
  }

  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
    this.#byType.clear()
    for (const pending of this.#pending.values()) pending.void = true
    this.#pending.clear()
  }

  #delete(key: string): void {
    const entry = this.#entries.get(key)
    if (!entry) return
    this.#entries.delete(key)
    this.#bytes -= entry.size
    for (const type of entry.dependsOn) {
      const keys = this.#byType.get(type)
      keys?.delete(key)
      if (keys?.size === 0) this.#byType.delete(type)
    }
  }
}

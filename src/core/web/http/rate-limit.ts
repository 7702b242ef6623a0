/** A bucket's size and how fast it refills: `RATE_LIMIT_PER_SESSION=60/20` is 60 at once, 20 a second after. */
export interface RateLimit {
  readonly burst: number
  readonly perSecond: number
}

/** What taking a token said: allowed, or refused with the whole seconds until one is there. */
export type TakeResult = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number }

interface Bucket {
  tokens: number
  at: number
  /** When this client's last refusal line was logged, and the refusals since. */
  loggedAt: number
  refusedSinceLog: number
}

/**
 * Token buckets by client key, in a map bounded by `maxEntries` (least recently used dropped
 * first: a dropped client starts again with a full bucket, which errs on the side of serving).
 */
export class TokenBuckets {
  readonly #limit: RateLimit
  readonly #maxEntries: number
  readonly #buckets = new Map<string, Bucket>()

  constructor(limit: RateLimit, options: { maxEntries: number }) {
    this.#limit = limit
    this.#maxEntries = options.maxEntries
  }

  get size(): number {
    return this.#buckets.size
  }

  /** Takes one token for `key` at `now` (ms). */
  take(key: string, now: number): TakeResult {
    const bucket = this.#touch(key, now)
    bucket.tokens = Math.min(this.#limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#limit.perSecond)
    bucket.at = now
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return { allowed: true }
    }
    bucket.refusedSinceLog++
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.#limit.perSecond)) }
  }

  /**
   * Whether `key`'s refusals are due a log line (at most one per `windowMs`), and how many it
   * covers; due resets the count.
   */
  logDue(key: string, now: number, windowMs: number): number {
    const bucket = this.#buckets.get(key)
    if (!bucket || now - bucket.loggedAt < windowMs) return 0
    const refused = bucket.refusedSinceLog
    bucket.loggedAt = now
    bucket.refusedSinceLog = 0
    return refused
  }

  #touch(key: string, now: number): Bucket {
    const found = this.#buckets.get(key)
    if (found) {
      // Map keeps insertion order: moving the key to the end makes the first key the least recent.
      this.#buckets.delete(key)
      this.#buckets.set(key, found)
      return found
    }
    if (this.#buckets.size >= this.#maxEntries) {
      const oldest = this.#buckets.keys().next().value
      if (oldest !== undefined) this.#buckets.delete(oldest)
    }
    const bucket = { tokens: this.#limit.burst, at: now, loggedAt: Number.NEGATIVE_INFINITY, refusedSinceLog: 0 }
    this.#buckets.set(key, bucket)
    return bucket
  }
}

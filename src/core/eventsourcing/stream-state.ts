import { ChainLink } from './store/chain-link.ts'

/** A stream's folded state at a version. A speculative one also knows what it was decided on. */
export interface Snapshot {
  readonly state: unknown
  readonly version: number
  /** The append that makes this state, for the appends decided on it; null for state read from the log. */
  readonly link: ChainLink | null
  /** The snapshot this one's append was decided on; null once this one is committed. */
  parent: Snapshot | null
  /** Its append failed, or one it was decided on top of did: it will never be committed. */
  discarded: boolean
}

function snapshot(state: unknown, version: number, parent: Snapshot | null, link: ChainLink | null): Snapshot {
  return { state, version, link, parent, discarded: false }
}

/**
 * One stream's state in the command cache: the newest snapshot known to be committed, and the
 * chain of speculative snapshots decided on top of it whose appends are still with the store
 * (`head` is its tip). Each speculative snapshot's append carries the link of the one it was
 * decided on, and the store commits it only if that one committed: a failed append dooms exactly
 * the snapshots decided on top of it, even when another writer took the versions they expect.
 * `discard` rolls the head back to what that append was decided on, instead of forgetting the
 * stream and folding it again from the log.
 *
 * *Why not roll back to the committed snapshot:* appends decided on it would reuse versions that
 * appends still in flight may reach, and one of them could then commit on a state that never was.
 */
export class StreamState {
  readonly decider: object
  #committed: Snapshot
  #head: Snapshot
  /** The log may hold events after `committed` that no append of this chain wrote. */
  #stale = false

  constructor(decider: object, state: unknown, version: number) {
    this.decider = decider
    this.#committed = snapshot(state, version, null, null)
    this.#head = this.#committed
  }

  /** The state the next command decides on. */
  get head(): Snapshot {
    return this.#head
  }

  get committed(): Snapshot {
    return this.#committed
  }

  /** True when only the log's events after `committed` are missing: read those, not the stream. */
  get needsTail(): boolean {
    return this.#stale && this.#head === this.#committed
  }

  /**
   * Puts a decided command's resulting state on top of the head, before its append resolves;
   * give the store its `link`.
   */
  advance(state: unknown, version: number): Snapshot & { readonly link: ChainLink } {
    const link = new ChainLink(this.#head.link)
    const speculative = { state, version, link, parent: this.#head, discarded: false }
    this.#head = speculative
    return speculative
  }

  /**
   * The append that produced `speculative` committed. False when it was discarded: the cache is
   * wrong (only with a store that ignores chain links, which could commit on a doomed basis).
   */
  commit(speculative: Snapshot): boolean {
    if (speculative.discarded) return false
    if (speculative.version > this.#committed.version) this.#committed = speculative
    // Nothing below a committed snapshot is rolled back to again: let it be collected.
    speculative.parent = null
    return true
  }

  /**
   * The append that produced `speculative` failed: it and every snapshot decided on top of it are
   * dropped, and the head goes back to what it was decided on. With `missedEvents` (a version
   * conflict, a duplicate) the log holds events this cache has not seen.
   */
  discard(speculative: Snapshot, { missedEvents }: { missedEvents: boolean }): void {
    if (missedEvents) this.#stale = true
    if (speculative.discarded || !this.#isOnHeadChain(speculative)) return
    for (let link: Snapshot | null = this.#head; link && link !== speculative; link = link.parent) {
      link.discarded = true
    }
    speculative.discarded = true
    this.#head = speculative.parent ?? this.#committed
  }

  /** The committed snapshot with the log's events after it folded in (`needsTail` answered). */
  caughtUp(state: unknown, version: number): void {
    this.#committed = snapshot(state, version, null, null)
    this.#head = this.#committed
    this.#stale = false
  }

  #isOnHeadChain(target: Snapshot): boolean {
    let link: Snapshot | null = this.#head
    while (link && link !== target && link.version >= target.version) link = link.parent
    return link === target
  }
}

import { VersionConflict } from '../../errors.ts'
import type { StreamRef } from '../events.ts'
import type { ExpectedVersion } from './event-store.ts'

/**
 * One append of a speculative chain: a command decided on the state that a still-queued append
 * will leave (see CommandHandler) may commit only if that append commits. Its version check
 * alone cannot tell: when the queued append fails because another writer took the same version,
 * the stream is at the version the later append expects, on events it was not decided on.
 *
 * The store settles every link it is given, once, before the append's promise settles. Settling
 * drops the link to the predecessor, so a chain is never longer than what is still queued.
 */
export class ChainLink {
  #decidedOn: ChainLink | null
  #committed: boolean | null = null

  /** `decidedOn`: the link of the append whose result the decision assumed; null for committed state. */
  constructor(decidedOn: ChainLink | null) {
    this.#decidedOn = decidedOn?.committed ? null : decidedOn
  }

  get decidedOn(): ChainLink | null {
    return this.#decidedOn
  }

  /** True once the append committed and wrote its events (a duplicate wrote none). */
  get committed(): boolean {
    return this.#committed === true
  }

  settle(committed: boolean): void {
    if (this.#committed !== null) return
    this.#committed = committed
    this.#decidedOn = null
  }
}

/** The refusal of an append decided on one that did not commit: retried like any conflict. */
export class BrokenChainConflict extends VersionConflict {
  constructor(stream: StreamRef, expected: ExpectedVersion, actual: number) {
    super(stream, expected, actual)
    this.message = `Cannot append to stream "${stream.type}/${stream.id}": it was decided on an append that did not commit`
  }
}

/**
 * What one batch transaction wrote so far, for the engines' loops: an append decided on another
 * commits only if that one committed in an earlier batch or was written earlier in this one.
 */
export class BatchChains {
  readonly #written = new Set<ChainLink>()

  /** The conflict `append` gets because its predecessor did not commit, or null. */
  brokenBasis(
    append: { stream: StreamRef; expectedVersion: ExpectedVersion; chain: ChainLink | null },
    current: number,
  ): BrokenChainConflict | null {
    const basis = append.chain?.decidedOn
    if (!basis || basis.committed || this.#written.has(basis)) return null
    return new BrokenChainConflict(append.stream, append.expectedVersion, current)
  }

  /** `chain`'s append wrote its events in this transaction. */
  wrote(chain: ChainLink | null): void {
    if (chain) this.#written.add(chain)
  }
}

import { AsyncLocalStorage } from 'node:async_hooks'

interface Scope {
  readonly base: string
  next: number
  open: boolean
}

/**
 * Command ids derived for work that must be idempotent as a whole, such as one HTTP request
 * under an `Idempotency-Key`: inside `run(base, work)`, the n-th command handled without an id
 * of its own gets `base.n`. A retry of the same work issues its commands in the same order, so
 * each gets the id it had the first time and the store writes nothing twice.
 */
export class CommandIdScopes {
  readonly #storage = new AsyncLocalStorage<Scope>()

  /** Runs `work` in a scope; a command started after `work` settles (a background job it left) gets no id. */
  async run<T>(base: string, work: () => Promise<T>): Promise<T> {
    const scope: Scope = { base, next: 0, open: true }
    try {
      return await this.#storage.run(scope, work)
    } finally {
      scope.open = false
    }
  }

  /** The next id of the scope the caller runs in; undefined outside any. */
  next(): string | undefined {
    const scope = this.#storage.getStore()
    if (!scope?.open) return undefined
    return `${scope.base}.${scope.next++}`
  }
}

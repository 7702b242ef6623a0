/** What every feed hub counts; the registry sums them over its hubs. */
export interface HubCounters {
  readonly lagged: number
  readonly renders: number
  /** Batches its follower failed to broadcast (a render that threw). */
  readonly failures: number
}

/** The counts of hubs that emptied and were forgotten, so the registry's totals only ever grow. */
export class HubTotals {
  #kept: HubCounters = { lagged: 0, renders: 0, failures: 0 }

  keep(counters: HubCounters): void {
    this.#kept = sum(this.#kept, counters)
  }

  /** The kept counts plus those of the hubs still open. */
  with(hubs: Iterable<{ counters(): HubCounters }>): HubCounters {
    let total = this.#kept
    for (const hub of hubs) total = sum(total, hub.counters())
    return total
  }
}

function sum(a: HubCounters, b: HubCounters): HubCounters {
  return { lagged: a.lagged + b.lagged, renders: a.renders + b.renders, failures: a.failures + b.failures }
}

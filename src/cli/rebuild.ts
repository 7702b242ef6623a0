import { BroadcastRing } from '../core/eventsourcing/bus.ts'
import { Projection } from '../core/eventsourcing/projections.ts'
import type { EventStore } from '../core/eventsourcing/store/event-store.ts'
import { EventRegistry } from '../core/eventsourcing/upcast.ts'
import type { Slice } from '../core/slice.ts'

export interface RebuiltProjection {
  readonly slice: string
  readonly name: string
  readonly position: number
  readonly durationMs: number
}

export interface RebuildReport {
  readonly events: number
  readonly projections: readonly RebuiltProjection[]
  readonly durationMs: number
}

/**
 * Replays the whole event log through every slice's projections, one at a time, and reports how long each
 * took. Read models are rebuilt from events at every start; this runs that rebuild on its own, so a broken
 * `apply` or an upcaster that throws shows up before a deploy rather than during one.
 */
export async function rebuildProjections(
  openStore: (registry: EventRegistry) => EventStore,
  slices: readonly Slice[],
): Promise<RebuildReport> {
  const started = performance.now()
  const registry = new EventRegistry()
  for (const slice of slices) {
    for (const [type, schema] of Object.entries(slice.events)) registry.register(type, schema)
  }
  const store = openStore(registry)
  const bus = new BroadcastRing(16)
  const results: RebuiltProjection[] = []
  try {
    for (const slice of slices) {
      for (const definition of slice.projections) {
        const projection = new Projection(definition)
        const begun = performance.now()
        await projection.start({ store, bus })
        results.push({
          slice: slice.name,
          name: projection.name,
          position: projection.position,
          durationMs: performance.now() - begun,
        })
        await projection.stop()
      }
    }
    // Positions are gap-free from 1: the head is the number of events.
    return { events: await store.headPosition(), projections: results, durationMs: performance.now() - started }
  } finally {
    bus.close()
    await store.close()
  }
}

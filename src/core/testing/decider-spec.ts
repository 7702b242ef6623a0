import { type Decider, decideAll, fold } from '../eventsourcing/decider.ts'
import type { NewEvent } from '../eventsourcing/events.ts'

type ErrorCheck = (new (...args: never[]) => Error) | ((error: unknown) => boolean)

export class DeciderSpecError extends Error {
  override readonly name = 'DeciderSpecError'
}

function show(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value)
}

/** A line-by-line diff of two JSON renderings, `-` expected and `+` actual. */
function diff(expected: unknown, actual: unknown): string {
  const left = show(expected).split('\n')
  const right = show(actual).split('\n')
  const lines: string[] = []
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const [l, r] = [left[i], right[i]]
    if (l === r) lines.push(`  ${l}`)
    else {
      if (l !== undefined) lines.push(`- ${l}`)
      if (r !== undefined) lines.push(`+ ${r}`)
    }
  }
  return lines.join('\n')
}

function matches(error: unknown, check: ErrorCheck): boolean {
  const isClass = typeof check === 'function' && check.prototype instanceof Error
  return isClass ? error instanceof (check as new () => Error) : (check as (e: unknown) => boolean)(error)
}

/**
 * Given/when/then for deciders:
 * `spec.given([TodoAdded]).when(ToggleTodo).then([TodoToggled])`.
 * Events are compared as plain JSON; a mismatch throws with a readable diff.
 */
export function deciderSpec<State, Command, Event extends NewEvent>(decider: Decider<State, Command, Event>) {
  return {
    given(events: readonly Event[] = []) {
      return {
        when(command: Command) {
          const run = (): readonly Event[] => decideAll(decider, fold(decider, decider.initialState(), events), command)
          return {
            // biome-ignore lint/suspicious/noThenProperty: given/when/then is the DSL; the object is never awaited
            then(expected: readonly Event[] | Event): void {
              const want = Array.isArray(expected) ? expected : [expected]
              const got = run()
              if (!Bun.deepEquals(JSON.parse(show(got)), JSON.parse(show(want)))) {
                throw new DeciderSpecError(`Decided events differ (- expected, + actual):\n${diff(want, got)}`)
              }
            },
            thenNothingHappened(): void {
              const got = run()
              if (got.length > 0) throw new DeciderSpecError(`Expected no events, got:\n${show(got)}`)
            },
            thenThrows(check: ErrorCheck): void {
              let got: readonly Event[]
              try {
                got = run()
              } catch (error) {
                if (matches(error, check)) return
                throw new DeciderSpecError(`Decider threw an error that does not match: ${String(error)}`)
              }
              throw new DeciderSpecError(`Expected the decider to throw, it decided:\n${show(got)}`)
            },
          }
        },
      }
    },
  }
}

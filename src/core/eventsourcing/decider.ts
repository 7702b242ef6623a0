import type { NewEvent } from './events.ts'

/**
 * Domain logic as three pure, synchronous functions: no I/O, no clock, no randomness.
 * Time and ids arrive inside the command. `decide` refuses a command by throwing RuleViolation.
 */
export interface Decider<State, Command, Event extends NewEvent> {
  readonly initialState: () => State
  readonly decide: (state: State, command: Command) => Event | readonly Event[]
  readonly evolve: (state: State, event: Event) => State
}

/** Folds events onto a state with a decider's `evolve`. */
export function fold<State, Event extends NewEvent>(
  decider: Pick<Decider<State, unknown, Event>, 'evolve'>,
  state: State,
  events: readonly Event[],
): State {
  let current = state
  for (const event of events) current = decider.evolve(current, event)
  return current
}

/** `decide` may return one event or many; the pipeline always works with a list. */
export function decideAll<State, Command, Event extends NewEvent>(
  decider: Decider<State, Command, Event>,
  state: State,
  command: Command,
): readonly Event[] {
  const result = decider.decide(state, command)
  return Array.isArray(result) ? result : [result as Event]
}

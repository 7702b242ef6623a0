import { describe, expect, it } from 'bun:test'
import { NotFoundError, RuleViolation } from '../../../src/core/errors.ts'
import { deciderSpec } from '../../../src/core/testing/decider-spec.ts'
import { INITIAL_ITEMS, moveInput, type SortableEvent, sortableDecider } from '../../../src/features/sortable/domain.ts'

const spec = deciderSpec(sortableDecider)
const ids = INITIAL_ITEMS.map((item) => item.id) // model, decide, project, render, ship
const moved = (id: string, from: number, to: number): SortableEvent => ({ type: 'ItemMoved', data: { id, from, to } })
const order = (events: SortableEvent[]) =>
  events.reduce(sortableDecider.evolve, sortableDecider.initialState()).items.map((item) => item.id)

describe('sortable decider in the initial order', () => {
  it('moves an item to a new position', () => {
    spec
      .given()
      .when({ type: 'MoveItem', id: 'ship', to: 0 })
      .then(moved('ship', 4, 0))
  })
  it('does nothing when an item is dropped where it was', () => {
    spec.given().when({ type: 'MoveItem', id: 'render', to: 3 }).thenNothingHappened()
  })
  it('refuses a move of an unknown item', () => {
    spec.given().when({ type: 'MoveItem', id: 'nope', to: 0 }).thenThrows(NotFoundError)
    spec.given().when({ type: 'MoveItemUp', id: 'nope' }).thenThrows(NotFoundError)
    spec.given().when({ type: 'MoveItemDown', id: 'nope' }).thenThrows(NotFoundError)
  })
  it('refuses a move outside the list', () => {
    const outOfRange = (error: unknown) => error instanceof RuleViolation && error.code === 'out-of-range'
    spec.given().when({ type: 'MoveItem', id: 'model', to: 5 }).thenThrows(outOfRange)
    spec.given().when({ type: 'MoveItem', id: 'model', to: -1 }).thenThrows(outOfRange)
    spec.given().when({ type: 'MoveItem', id: 'model', to: 1.5 }).thenThrows(outOfRange)
  })
  it('moves up and down by one', () => {
    spec
      .given()
      .when({ type: 'MoveItemUp', id: 'decide' })
      .then(moved('decide', 1, 0))
    spec
      .given()
      .when({ type: 'MoveItemDown', id: 'decide' })
      .then(moved('decide', 1, 2))
  })
  it('does nothing when moving the first item up or the last item down', () => {
    spec.given().when({ type: 'MoveItemUp', id: 'model' }).thenNothingHappened()
    spec.given().when({ type: 'MoveItemDown', id: 'ship' }).thenNothingHappened()
  })
})

describe('sortable decider after moves', () => {
  it('decides from the moved order', () => {
    spec
      .given([moved('ship', 4, 0)])
      .when({ type: 'MoveItemUp', id: 'ship' })
      .thenNothingHappened()
    spec
      .given([moved('ship', 4, 0)])
      .when({ type: 'MoveItemDown', id: 'model' })
      .then(moved('model', 1, 2))
  })
})

describe('sortable evolve', () => {
  it('moves items by id, forwards and backwards', () => {
    expect(order([])).toEqual(ids)
    expect(order([moved('model', 0, 4)])).toEqual(['decide', 'project', 'render', 'ship', 'model'])
    expect(order([moved('ship', 4, 1), moved('model', 0, 2)])).toEqual(['ship', 'decide', 'model', 'project', 'render'])
  })
})

describe('sortable input', () => {
  it('moveInput coerces a form string and rejects non-integers and negatives', () => {
    expect(moveInput.parse({ to: '2' })).toEqual({ to: 2 })
    expect(moveInput.safeParse({ to: '1.5' }).success).toBe(false)
    expect(moveInput.safeParse({ to: '-1' }).success).toBe(false)
    expect(moveInput.safeParse({ to: 'x' }).success).toBe(false)
  })
})

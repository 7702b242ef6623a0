import { describe, expect, it } from 'bun:test'
import { NotFoundError, RuleViolation } from '../../../src/core/errors.ts'
import { deciderSpec } from '../../../src/core/testing/decider-spec.ts'
import {
  addTodoInput,
  editTodoInput,
  MAX_TEXT_LENGTH,
  MAX_TODOS,
  type TodoEvent,
  todoDecider,
  todoFilter,
} from '../../../src/features/todo/domain.ts'

const spec = deciderSpec(todoDecider)
const at = '2026-01-01T00:00:00.000Z'
const added = (id: string, text = `todo ${id}`): TodoEvent => ({ type: 'TodoAdded', data: { id, text, at } })
const toggled = (id: string, completed = true): TodoEvent => ({ type: 'TodoToggled', data: { id, completed } })
const refusedWith = (code: string) => (error: unknown) => error instanceof RuleViolation && error.code === code

describe('todo decider when the list is empty', () => {
  it('adds a todo with trimmed text', () => {
    spec.given().when({ type: 'AddTodo', id: 'a', text: '  milk  ', at }).then(added('a', 'milk'))
  })
  it('refuses AddTodo with blank text', () => {
    spec.given().when({ type: 'AddTodo', id: 'a', text: '   ', at }).thenThrows(refusedWith('empty'))
  })
  it('refuses AddTodo with text longer than the limit', () => {
    const text = 'x'.repeat(MAX_TEXT_LENGTH + 1)
    spec.given().when({ type: 'AddTodo', id: 'a', text, at }).thenThrows(refusedWith('too-long'))
  })
  it('accepts text exactly at the limit', () => {
    const text = 'x'.repeat(MAX_TEXT_LENGTH)
    spec.given().when({ type: 'AddTodo', id: 'a', text, at }).then(added('a', text))
  })
  it('refuses ToggleTodo, EditTodo and DeleteTodo for an unknown id', () => {
    spec.given().when({ type: 'ToggleTodo', id: 'nope' }).thenThrows(NotFoundError)
    spec.given().when({ type: 'EditTodo', id: 'nope', text: 'x' }).thenThrows(NotFoundError)
    spec.given().when({ type: 'DeleteTodo', id: 'nope' }).thenThrows(NotFoundError)
  })
  it('does nothing on ToggleAll and ClearCompleted', () => {
    spec.given().when({ type: 'ToggleAll' }).thenNothingHappened()
    spec.given().when({ type: 'ClearCompleted' }).thenNothingHappened()
  })
})

describe('todo decider when the list has todos', () => {
  it('refuses AddTodo with an id already in the list', () => {
    spec
      .given([added('a')])
      .when({ type: 'AddTodo', id: 'a', text: 'again', at })
      .thenThrows(refusedWith('duplicate-id'))
  })
  it('refuses AddTodo when the list is full', () => {
    const full = Array.from({ length: MAX_TODOS }, (_, i) => added(`t${i}`))
    spec.given(full).when({ type: 'AddTodo', id: 'new', text: 'one more', at }).thenThrows(refusedWith('list-full'))
  })
  it('toggles a todo on and off', () => {
    spec
      .given([added('a')])
      .when({ type: 'ToggleTodo', id: 'a' })
      .then(toggled('a', true))
    spec
      .given([added('a'), toggled('a')])
      .when({ type: 'ToggleTodo', id: 'a' })
      .then(toggled('a', false))
  })
  it('edits a todo with trimmed text', () => {
    spec
      .given([added('a')])
      .when({ type: 'EditTodo', id: 'a', text: ' bread ' })
      .then({ type: 'TodoEdited', data: { id: 'a', text: 'bread' } })
  })
  it('deletes a todo whose edit leaves the text empty (the documented edit rule)', () => {
    spec
      .given([added('a')])
      .when({ type: 'EditTodo', id: 'a', text: '  ' })
      .then({ type: 'TodoDeleted', data: { id: 'a' } })
  })
  it('does nothing when an edit keeps the same text', () => {
    spec
      .given([added('a', 'milk')])
      .when({ type: 'EditTodo', id: 'a', text: 'milk ' })
      .thenNothingHappened()
  })
  it('refuses an edit longer than the limit', () => {
    spec
      .given([added('a')])
      .when({ type: 'EditTodo', id: 'a', text: 'y'.repeat(MAX_TEXT_LENGTH + 1) })
      .thenThrows(refusedWith('too-long'))
  })
  it('refuses every command on a todo that was deleted', () => {
    const history = [added('a'), { type: 'TodoDeleted', data: { id: 'a' } } as const]
    spec.given(history).when({ type: 'ToggleTodo', id: 'a' }).thenThrows(NotFoundError)
    spec.given(history).when({ type: 'DeleteTodo', id: 'a' }).thenThrows(NotFoundError)
  })
  it('deletes a todo', () => {
    spec
      .given([added('a'), added('b')])
      .when({ type: 'DeleteTodo', id: 'b' })
      .then({ type: 'TodoDeleted', data: { id: 'b' } })
  })
  it('completes all when some are active, and reopens all when all are completed', () => {
    spec
      .given([added('a'), added('b'), toggled('a')])
      .when({ type: 'ToggleAll' })
      .then({ type: 'AllTodosToggled', data: { completed: true } })
    spec
      .given([added('a'), toggled('a')])
      .when({ type: 'ToggleAll' })
      .then({ type: 'AllTodosToggled', data: { completed: false } })
  })
  it('clears only the completed todos', () => {
    spec
      .given([added('a'), added('b'), added('c'), toggled('a'), toggled('c')])
      .when({ type: 'ClearCompleted' })
      .then({ type: 'CompletedTodosCleared', data: { ids: ['a', 'c'] } })
  })
  it('does nothing on ClearCompleted when none are completed', () => {
    spec
      .given([added('a')])
      .when({ type: 'ClearCompleted' })
      .thenNothingHappened()
  })
})

describe('todo evolve', () => {
  it('keeps todos in the order they were added and applies every event', () => {
    const events: TodoEvent[] = [
      added('a', 'one'),
      added('b', 'two'),
      added('c', 'three'),
      toggled('b'),
      { type: 'TodoEdited', data: { id: 'a', text: 'uno' } },
      { type: 'AllTodosToggled', data: { completed: true } },
      toggled('c', false),
      { type: 'CompletedTodosCleared', data: { ids: ['a', 'b'] } },
    ]
    const list = events.reduce(todoDecider.evolve, todoDecider.initialState())
    expect(list.todos).toEqual([{ id: 'c', text: 'three', completed: false }])
  })
})

describe('todo inputs', () => {
  it('addTodoInput trims and rejects empty or too long text with a message', () => {
    expect(addTodoInput.parse({ text: '  a  ' })).toEqual({ text: 'a' })
    expect(addTodoInput.safeParse({ text: '  ' }).error?.issues[0]?.message).toBe('Write something to do first')
    expect(addTodoInput.safeParse({ text: 'z'.repeat(501) }).success).toBe(false)
    expect(addTodoInput.safeParse({}).success).toBe(false)
  })
  it('editTodoInput allows empty text (it deletes)', () => {
    expect(editTodoInput.parse({ text: ' ' })).toEqual({ text: '' })
  })
  it('todoFilter falls back to all for unknown values', () => {
    expect(todoFilter.parse('active')).toBe('active')
    expect(todoFilter.parse('bogus')).toBe('all')
    expect(todoFilter.parse(undefined)).toBe('all')
  })
})

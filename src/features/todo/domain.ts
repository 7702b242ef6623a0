import { z } from 'zod'
import { NotFoundError, RuleViolation } from '../../core/errors.ts'
import type { Decider } from '../../core/eventsourcing/decider.ts'

/**
 * One todo list per session, on the stream `todo-list/<sessionId>`.
 *
 * Edit rule (TodoMVC's): saving an edit with empty text deletes the todo rather than
 * rejecting it, so Enter on a cleared field does what the user plainly meant.
 */

/**
 * A list is a read model held in memory and re-sent whole on every change, so both are bounded:
 * the largest legal view (every todo at the longest text, of characters that escape six-fold)
 * must fit in one feed connection's queue (1 MiB) with room to spare. At 100 × 100 it is
 * about 650 KB of SSE; a test fills a list to these limits and streams it.
 */
export const MAX_TEXT_LENGTH = 100
export const MAX_TODOS = 100

export const TODO_STREAM_TYPE = 'todo-list'
export const todoStream = (sessionId: string) => ({ type: TODO_STREAM_TYPE, id: sessionId }) as const

// Inputs as they arrive from a form field or a Datastar signal; trimmed before the length check.
const text = z.string().trim().max(MAX_TEXT_LENGTH, `Keep it to ${MAX_TEXT_LENGTH} characters or fewer`)
export const addTodoInput = z.object({ text: text.min(1, 'Write something to do first') })
export const editTodoInput = z.object({ text })
export const todoFilter = z.enum(['all', 'active', 'completed']).catch('all')
export type TodoFilter = z.output<typeof todoFilter>

export type TodoCommand =
  | { readonly type: 'AddTodo'; readonly id: string; readonly text: string; readonly at: string }
  | { readonly type: 'ToggleTodo'; readonly id: string }
  | { readonly type: 'EditTodo'; readonly id: string; readonly text: string }
  | { readonly type: 'DeleteTodo'; readonly id: string }
  | { readonly type: 'ToggleAll' }
  | { readonly type: 'ClearCompleted' }

export type TodoEvent =
  | { readonly type: 'TodoAdded'; readonly data: { readonly id: string; readonly text: string; readonly at: string } }
  | { readonly type: 'TodoToggled'; readonly data: { readonly id: string; readonly completed: boolean } }
  | { readonly type: 'TodoEdited'; readonly data: { readonly id: string; readonly text: string } }
  | { readonly type: 'TodoDeleted'; readonly data: { readonly id: string } }
  | { readonly type: 'AllTodosToggled'; readonly data: { readonly completed: boolean } }
  | { readonly type: 'CompletedTodosCleared'; readonly data: { readonly ids: readonly string[] } }

export const TODO_EVENT_TYPES = [
  'TodoAdded',
  'TodoToggled',
  'TodoEdited',
  'TodoDeleted',
  'AllTodosToggled',
  'CompletedTodosCleared',
] as const satisfies readonly TodoEvent['type'][]

export interface Todo {
  readonly id: string
  readonly text: string
  readonly completed: boolean
}

export interface TodoList {
  /** In the order they were added. */
  readonly todos: readonly Todo[]
}

export const emptyTodoList: TodoList = { todos: [] }

function find(list: TodoList, id: string): Todo {
  const todo = list.todos.find((t) => t.id === id)
  if (!todo) throw new NotFoundError(`Cannot find todo "${id}": it is not in this list`)
  return todo
}

function checkText(action: string, value: string): string {
  const trimmed = value.trim()
  if (trimmed.length > MAX_TEXT_LENGTH) {
    throw new RuleViolation(
      `Cannot ${action}: text has ${trimmed.length} characters, at most ${MAX_TEXT_LENGTH}`,
      'too-long',
      'text',
    )
  }
  return trimmed
}

function decide(list: TodoList, command: TodoCommand): TodoEvent | readonly TodoEvent[] {
  switch (command.type) {
    case 'AddTodo': {
      const value = checkText('add todo', command.text)
      if (value === '') throw new RuleViolation('Cannot add todo: text is empty', 'empty', 'text')
      if (list.todos.length >= MAX_TODOS) {
        throw new RuleViolation(`Cannot add todo: the list is full at ${MAX_TODOS} todos`, 'list-full', 'text')
      }
      if (list.todos.some((t) => t.id === command.id)) {
        throw new RuleViolation(`Cannot add todo "${command.id}": the id is taken`, 'duplicate-id')
      }
      return { type: 'TodoAdded', data: { id: command.id, text: value, at: command.at } }
    }
    case 'ToggleTodo': {
      const todo = find(list, command.id)
      return { type: 'TodoToggled', data: { id: todo.id, completed: !todo.completed } }
    }
    case 'EditTodo': {
      const todo = find(list, command.id)
      const value = checkText(`edit todo "${todo.id}"`, command.text)
      if (value === '') return { type: 'TodoDeleted', data: { id: todo.id } }
      if (value === todo.text) return []
      return { type: 'TodoEdited', data: { id: todo.id, text: value } }
    }
    case 'DeleteTodo':
      return { type: 'TodoDeleted', data: { id: find(list, command.id).id } }
    case 'ToggleAll': {
      if (list.todos.length === 0) return []
      // TodoMVC: if every todo is done, undo them all; otherwise complete them all.
      const completed = !list.todos.every((t) => t.completed)
      return { type: 'AllTodosToggled', data: { completed } }
    }
    case 'ClearCompleted': {
      const ids = list.todos.filter((t) => t.completed).map((t) => t.id)
      return ids.length === 0 ? [] : { type: 'CompletedTodosCleared', data: { ids } }
    }
    default: {
      const unknown: never = command
      throw new Error(`Cannot decide unknown command ${JSON.stringify(unknown)}`)
    }
  }
}

function evolve(list: TodoList, event: TodoEvent): TodoList {
  switch (event.type) {
    case 'TodoAdded':
      return { todos: [...list.todos, { id: event.data.id, text: event.data.text, completed: false }] }
    case 'TodoToggled':
      return { todos: list.todos.map((t) => (t.id === event.data.id ? { ...t, completed: event.data.completed } : t)) }
    case 'TodoEdited':
      return { todos: list.todos.map((t) => (t.id === event.data.id ? { ...t, text: event.data.text } : t)) }
    case 'TodoDeleted':
      return { todos: list.todos.filter((t) => t.id !== event.data.id) }
    case 'AllTodosToggled':
      return { todos: list.todos.map((t) => ({ ...t, completed: event.data.completed })) }
    case 'CompletedTodosCleared': {
      const cleared = new Set(event.data.ids)
      return { todos: list.todos.filter((t) => !cleared.has(t.id)) }
    }
    default: {
      const unknown: never = event
      return unknown
    }
  }
}

export const todoDecider: Decider<TodoList, TodoCommand, TodoEvent> = {
  initialState: () => emptyTodoList,
  decide,
  evolve,
}

import { type Html, html, js } from '../../core/web/html.ts'
import { emptyState } from '../../core/web/ui/empty-state.ts'
import { icon } from '../../core/web/ui/icons.ts'
import { MAX_TEXT_LENGTH, type Todo, type TodoFilter, type TodoList } from './domain.ts'

/** What a todo page shows besides the list: the filter, a field error, the text to keep, the item in edit. */
export interface TodoViewOptions {
  readonly filter: TodoFilter
  /** The todo whose edit form is open without JavaScript (`?edit=<id>`). */
  readonly editing?: string
  /** A message for the new-todo field (422 re-render, or patched in by Datastar). */
  readonly error?: string
  /** What the visitor typed, kept on a 422 so nothing is lost. */
  readonly text?: string
}

const FILTERS: readonly { value: TodoFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'active', label: 'Active' },
  { value: 'completed', label: 'Completed' },
]

const isVisible = (todo: Todo, filter: TodoFilter): boolean =>
  filter === 'all' || (filter === 'completed' ? todo.completed : !todo.completed)

const withFilter = (path: string, filter: TodoFilter): string => (filter === 'all' ? path : `${path}?filter=${filter}`)

const pageHref = (filter: TodoFilter): string => (filter === 'all' ? '/todos' : `/todos?filter=${filter}`)

/**
 * A plain form that Datastar upgrades: without JavaScript it posts and follows the 303; with
 * it, the same form is posted by fetch and the feed brings the change back. The shared
 * `_saving` indicator drives the busy state of the whole list.
 */
function actionForm(path: string, filter: TodoFilter, body: Html, className = 'todo-action'): Html {
  const action = withFilter(path, filter)
  return html`<form class="${className}" method="post" action="${action}" data-indicator:_saving data-on:submit="@post(${js(action)}, {contentType: 'form'})">${body}</form>`
}

function todoItem(todo: Todo, options: TodoViewOptions): Html {
  const base = `/todos/${encodeURIComponent(todo.id)}`
  const inputId = `todo-edit-input-${todo.id}`
  const isEditing = options.editing === todo.id
  const editHref = `${pageHref(options.filter)}${options.filter === 'all' ? '?' : '&'}edit=${encodeURIComponent(todo.id)}`
  const toggleLabel = todo.completed ? `Mark "${todo.text}" as not done` : `Mark "${todo.text}" as done`
  // Opening the editor only sets `$_editing`. In the same signal flush the item's data-class shows
  // the editor and then the input's data-effect focuses it, caret at the end, so keys typed right
  // after the double-click land in it. A fat morph keeps the input (same id) and what was typed
  // (its value attribute is unchanged), and data-class puts back the `is-editing` the morph resets.
  return html`<li id="todo-${todo.id}" class="todo-item${todo.completed ? ' is-completed' : ''}${isEditing ? ' is-editing' : ''}" data-class:is-editing="$_editing === ${js(todo.id)}">
    <div class="todo-view">
      ${actionForm(`${base}/toggle`, options.filter, html`<button type="submit" class="todo-toggle" aria-pressed="${String(todo.completed)}" aria-label="${toggleLabel}">${icon('check')}</button>`)}
      <span class="todo-text" data-on:dblclick="$_editing = ${js(todo.id)}">${todo.text}</span>
      <a class="todo-edit-link icon-button" href="${editHref}" aria-label="Edit &quot;${todo.text}&quot;" data-on:click__prevent="$_editing = ${js(todo.id)}">${icon('pencil')}</a>
      ${actionForm(`${base}/delete`, options.filter, html`<button type="submit" class="todo-delete icon-button" aria-label="Delete &quot;${todo.text}&quot;">${icon('x')}</button>`)}
    </div>
    <form class="todo-edit" method="post" action="${withFilter(`${base}/edit`, options.filter)}" data-indicator:_saving data-on:submit="@post(${js(withFilter(`${base}/edit`, options.filter))}, {contentType: 'form'}); $_editing = ''">
      <label class="visually-hidden" for="${inputId}">Edit todo</label>
      <input id="${inputId}" class="input" name="text" value="${todo.text}" maxlength="${MAX_TEXT_LENGTH}" autocomplete="off" ${isEditing ? 'autofocus' : ''}
        data-effect="$_editing === ${js(todo.id)} && (el.focus(), el.setSelectionRange(el.value.length, el.value.length))"
        data-on:keydown="evt.key === 'Escape' && (el.value = el.defaultValue, $_editing = '')">
      <button type="submit" class="button button--primary button--small">Save</button>
      <a class="button button--ghost button--small" href="${pageHref(options.filter)}" data-on:click__prevent="$_editing = ''">Cancel</a>
    </form>
  </li>`
}

function newTodoForm(options: TodoViewOptions, hasTodos: boolean, allDone: boolean): Html {
  const errorId = 'todo-text-error'
  return html`<div class="todo-header">
    ${
      hasTodos
        ? actionForm(
            '/todos/toggle-all',
            options.filter,
            html`<button type="submit" class="todo-toggle-all icon-button" aria-pressed="${String(allDone)}" aria-label="${allDone ? 'Mark all as not done' : 'Mark all as done'}">${icon('chevron-down')}</button>`,
          )
        : html`<span class="todo-toggle-all-placeholder"></span>`
    }
    <form id="todo-new" class="todo-new" method="post" action="${withFilter('/todos', options.filter)}" data-indicator:_adding data-on:submit="@post(${js(withFilter('/todos', options.filter))}, {contentType: 'form'})">
      <label class="visually-hidden" for="todo-new-text">What needs to be done?</label>
      <input id="todo-new-text" class="input" name="text" placeholder="What needs to be done?" maxlength="${MAX_TEXT_LENGTH}" autocomplete="off" autofocus
        value="${options.text ?? ''}" data-bind:text ${options.error ? html`aria-invalid="true" aria-describedby="${errorId}"` : ''}>
      <button type="submit" class="button button--primary" aria-label="Add todo" data-attr:aria-busy="$_adding">${icon('plus')}<span>Add</span></button>
    </form>
  </div>
  <p id="${errorId}" class="field-error" role="alert">${options.error ?? ''}</p>`
}

function footer(list: TodoList, filter: TodoFilter): Html {
  const left = list.todos.filter((t) => !t.completed).length
  const done = list.todos.length - left
  return html`<footer class="todo-footer">
    <span class="todo-count"><strong>${left}</strong> ${left === 1 ? 'item' : 'items'} left</span>
    <nav class="todo-filters" aria-label="Filter todos">
      ${FILTERS.map((f) => html`<a href="${pageHref(f.value)}" ${f.value === filter ? html`aria-current="page"` : ''}>${f.label}</a>`)}
    </nav>
    ${done > 0 ? actionForm('/todos/clear-completed', filter, html`<button type="submit" class="button button--ghost button--small">Clear completed (${done})</button>`) : html`<span></span>`}
  </footer>`
}

/** The region the feed re-renders whole (`#todo-app`): header, list and footer. */
export function todoRegion(list: TodoList, options: TodoViewOptions): Html {
  const visible = list.todos.filter((todo) => isVisible(todo, options.filter))
  const allDone = list.todos.length > 0 && list.todos.every((t) => t.completed)
  return html`<section id="todo-app" class="todo card" data-class:is-busy="$_saving">
    ${newTodoForm(options, list.todos.length > 0, allDone)}
    ${
      list.todos.length === 0
        ? emptyState({
            icon: 'list-todo',
            title: 'Nothing to do yet',
            hint: 'Add something above; open this page in a second tab to watch it follow along.',
          })
        : html`<ul class="todo-list">${visible.map((todo) => todoItem(todo, options))}</ul>
          ${visible.length === 0 ? emptyState({ icon: 'list-todo', title: `No ${options.filter} todos` }) : ''}
          ${footer(list, options.filter)}`
    }
  </section>`
}

/**
 * The page body. The feed is opened by an element outside the morphed region: a re-rendered
 * `data-init` would open a second feed. `since` is the position the page was rendered at.
 */
export function todoPage(list: TodoList, position: number, options: TodoViewOptions): Html {
  const feed = `/todos/feed?since=${position}${options.filter === 'all' ? '' : `&filter=${options.filter}`}`
  return html`<div class="example todo-page" data-signals="${js({ text: options.text ?? '', _editing: '', _saving: false, _adding: false })}" data-init="@get(${js(feed)})">
    <header class="example__header">
      <h1>Todos</h1>
      <p class="muted">One list per session, event-sourced. Every tab of this browser sees each change within a moment; with JavaScript off, every button still works.</p>
    </header>
    ${todoRegion(list, options)}
  </div>`
}

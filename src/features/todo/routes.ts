import { z } from 'zod'
import { htmlResponse } from '../../core/web/html.ts'
import { commandRoute, type Rejection } from '../../core/web/http/command.ts'
import type { Handler, RequestContext, RouteTable } from '../../core/web/http/context.ts'
import { parseParams } from '../../core/web/http/input.ts'
import { sessionKey } from '../../core/web/session-key.ts'
import { layout } from '../../core/web/ui/layout.ts'
import { addTodoInput, editTodoInput, type TodoCommand, todoDecider, todoFilter, todoStream } from './domain.ts'
import { todoFeed } from './feed.ts'
import { listOf, todoProjection } from './projection.ts'
import { type TodoViewOptions, todoPage, todoRegion } from './views.ts'

const idParams = z.object({ id: z.string().min(1).max(64) })
const pageQuery = (url: URL) => ({
  filter: todoFilter.parse(url.searchParams.get('filter') ?? undefined),
  editing: url.searchParams.get('edit') ?? undefined,
})

const listFor = (ctx: RequestContext) => listOf(ctx.app.projection(todoProjection).state, sessionKey(ctx.session))

function pageHtml(ctx: RequestContext, options: TodoViewOptions) {
  const { position } = ctx.app.projection(todoProjection)
  return layout(ctx, { title: 'Todos', body: todoPage(listFor(ctx), position, options) })
}

const renderPage = (ctx: RequestContext, options: TodoViewOptions): Response => htmlResponse(pageHtml(ctx, options))

const showTodos: Handler = function showTodos(_req, ctx) {
  return renderPage(ctx, pageQuery(ctx.url))
}

/** Runs a command on the session's list (the route waits for the read model to show it). */
const run = (ctx: RequestContext, command: TodoCommand) =>
  ctx.app.commands.handle(todoDecider, todoStream(sessionKey(ctx.session)), command)

// Forms carry the page's filter in their action, so a plain post comes back to the same view.
const backToPage = (ctx: RequestContext): string => {
  const { filter } = pageQuery(ctx.url)
  return filter === 'all' ? '/todos' : `/todos?filter=${filter}`
}

function rejected(ctx: RequestContext, rejection: Rejection) {
  const text = typeof rejection.values.text === 'string' ? rejection.values.text : ''
  const options: TodoViewOptions = {
    filter: pageQuery(ctx.url).filter,
    error: rejection.issues.text ?? rejection.issues._form ?? 'Check the text',
    text,
  }
  return {
    page: () => pageHtml(ctx, options),
    region: () => todoRegion(listFor(ctx), options),
  }
}

const addCommand = commandRoute({
  input: addTodoInput,
  redirect: backToPage,
  waitFor: todoProjection,
  rejected,
  handle: ({ text }, ctx) => run(ctx, { type: 'AddTodo', id: Bun.randomUUIDv7(), text, at: new Date().toISOString() }),
})

/** After an add through Datastar, a JSON answer merges `text: ''` into the signals: the field clears. */
const addTodo: Handler = async function addTodo(req, ctx) {
  const response = await addCommand(req, ctx)
  return ctx.isDatastar && response.status === 204 ? Response.json({ text: '' }) : response
}

/** A command on one todo: the id comes from the path; an id that is not in the list is a 404. */
function onTodo(
  input: z.ZodType<{ text?: string }>,
  command: (id: string, input: { text?: string }) => TodoCommand,
): Handler {
  return commandRoute({
    input,
    redirect: backToPage,
    waitFor: todoProjection,
    handle(parsed, ctx) {
      const { id } = parseParams(ctx, idParams)
      return run(ctx, command(id, parsed))
    },
  })
}

/** A command on the whole list. */
function onList(command: TodoCommand): Handler {
  return commandRoute({
    input: z.object({}),
    redirect: backToPage,
    waitFor: todoProjection,
    handle: (_input, ctx) => run(ctx, command),
  })
}

const noInput = z.object({})

export const todoRoutes: RouteTable = {
  '/todos': { GET: showTodos, POST: addTodo },
  '/todos/feed': { GET: todoFeed },
  '/todos/:id/toggle': { POST: onTodo(noInput, (id) => ({ type: 'ToggleTodo', id })) },
  '/todos/:id/edit': { POST: onTodo(editTodoInput, (id, { text }) => ({ type: 'EditTodo', id, text: text ?? '' })) },
  '/todos/:id/delete': { POST: onTodo(noInput, (id) => ({ type: 'DeleteTodo', id })) },
  '/todos/toggle-all': { POST: onList({ type: 'ToggleAll' }) },
  '/todos/clear-completed': { POST: onList({ type: 'ClearCompleted' }) },
}

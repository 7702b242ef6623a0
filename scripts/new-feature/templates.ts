import type { FeatureNames } from './names.ts'
import { domainTest, routesTest } from './test-templates.ts'

/** The files of a new slice, path (relative to the project root) → content. */
export function sliceFiles(n: FeatureNames): Record<string, string> {
  const dir = `src/features/${n.kebab}`
  return {
    [`${dir}/domain.ts`]: domain(n),
    [`${dir}/projection.ts`]: projection(n),
    [`${dir}/views.ts`]: views(n),
    [`${dir}/routes.ts`]: routes(n),
    [`${dir}/index.ts`]: index(n),
    [`test/features/${n.kebab}/domain.test.ts`]: domainTest(n),
    [`test/features/${n.kebab}/routes.test.ts`]: routesTest(n),
  }
}

const domain = ({ kebab, pascal, title }: FeatureNames) => `import { z } from 'zod'
import type { Decider } from '../../core/eventsourcing/decider.ts'
import { NotFoundError, RuleViolation } from '../../core/errors.ts'

/**
 * ${title}: a list of items on one stream, \`${kebab}/main\`. Start here: rename the commands
 * and events to what your feature does, and keep decide/evolve pure (time and ids come in
 * with the command).
 */

export const ${kebab.toUpperCase().replaceAll('-', '_')}_STREAM = { type: '${kebab}', id: 'main' } as const
export const MAX_ITEMS = 100
export const MAX_TEXT_LENGTH = 200

/** What the form (or Datastar signals) must send to add an item. */
export const addItemInput = z.object({
  text: z.string().trim().min(1, 'Write something first').max(MAX_TEXT_LENGTH, \`Keep it to \${MAX_TEXT_LENGTH} characters or fewer\`),
})

export type ${pascal}Command =
  | { readonly type: 'Add${pascal}Item'; readonly id: string; readonly text: string; readonly at: string }
  | { readonly type: 'Remove${pascal}Item'; readonly id: string }

// Event types are global across slices: the prefix keeps them unique.
export type ${pascal}Event =
  | { readonly type: '${pascal}ItemAdded'; readonly data: { readonly id: string; readonly text: string; readonly at: string } }
  | { readonly type: '${pascal}ItemRemoved'; readonly data: { readonly id: string } }

export const ${kebab.toUpperCase().replaceAll('-', '_')}_EVENT_TYPES = ['${pascal}ItemAdded', '${pascal}ItemRemoved'] as const satisfies readonly ${pascal}Event['type'][]

export interface ${pascal}Item {
  readonly id: string
  readonly text: string
}

export interface ${pascal}State {
  readonly items: readonly ${pascal}Item[]
}

function decide(state: ${pascal}State, command: ${pascal}Command): ${pascal}Event | readonly ${pascal}Event[] {
  switch (command.type) {
    case 'Add${pascal}Item': {
      const text = command.text.trim()
      if (text === '') throw new RuleViolation('Cannot add item: text is empty', 'empty', 'text')
      if (state.items.length >= MAX_ITEMS) {
        throw new RuleViolation(\`Cannot add item: the list is full at \${MAX_ITEMS} items\`, 'full', 'text')
      }
      return { type: '${pascal}ItemAdded', data: { id: command.id, text, at: command.at } }
    }
    case 'Remove${pascal}Item':
      if (!state.items.some((item) => item.id === command.id)) {
        throw new NotFoundError(\`Cannot remove item "\${command.id}": it is not in the list\`)
      }
      return { type: '${pascal}ItemRemoved', data: { id: command.id } }
    default: {
      const unknown: never = command
      throw new Error(\`Cannot decide unknown command \${JSON.stringify(unknown)}\`)
    }
  }
}

function evolve(state: ${pascal}State, event: ${pascal}Event): ${pascal}State {
  switch (event.type) {
    case '${pascal}ItemAdded':
      return { items: [...state.items, { id: event.data.id, text: event.data.text }] }
    case '${pascal}ItemRemoved':
      return { items: state.items.filter((item) => item.id !== event.data.id) }
    default: {
      const unknown: never = event
      return unknown
    }
  }
}

export const ${pascal[0]?.toLowerCase()}${pascal.slice(1)}Decider: Decider<${pascal}State, ${pascal}Command, ${pascal}Event> = {
  initialState: () => ({ items: [] }),
  decide,
  evolve,
}
`

const constName = (n: FeatureNames, suffix: string) => `${n.kebab.toUpperCase().replaceAll('-', '_')}_${suffix}`

const projection = (n: FeatureNames) => `import type { StoredEvent } from '../../core/eventsourcing/events.ts'
import { defineProjection } from '../../core/eventsourcing/projections.ts'
import { ${constName(n, 'EVENT_TYPES')}, ${constName(n, 'STREAM')}, type ${n.pascal}Event, type ${n.pascal}State, ${n.camel}Decider } from './domain.ts'

/**
 * The read model the page and the feed render: here, the decider's own state, folded by its
 * \`evolve\`. It declares the events it handles: the slice registers them, and \`apply\` sees no others.
 */
export const ${n.camel}Projection = defineProjection<${n.pascal}State, StoredEvent & ${n.pascal}Event>({
  name: '${n.kebab}',
  events: ${constName(n, 'EVENT_TYPES')},
  streamType: ${constName(n, 'STREAM')}.type,
  initial: ${n.camel}Decider.initialState,
  apply: ${n.camel}Decider.evolve,
})
`

const views = (n: FeatureNames) => `import { type Html, html, js } from '../../core/web/html.ts'
import { MAX_TEXT_LENGTH, type ${n.pascal}State } from './domain.ts'

export interface ${n.pascal}ViewOptions {
  /** A message for the text field after a refused add. */
  readonly error?: string
  /** What was typed, kept after a refused add. */
  readonly text?: string
}

/**
 * The add form: the input grows, the button stays beside it. \`data-bind:text\` ties the field to
 * the \`text\` signal, so the \`{"text":""}\` a Datastar add answers with empties it.
 */
function addForm(options: ${n.pascal}ViewOptions): Html {
  const errorId = '${n.kebab}-text-error'
  return html\`<form method="post" action="/${n.kebab}" class="inline-form" data-indicator:_busy data-on:submit="@post('/${n.kebab}', {contentType: 'form'})">
      <div class="field">
        <label class="visually-hidden" for="${n.kebab}-text">New item</label>
        <input id="${n.kebab}-text" class="input" name="text" maxlength="\${MAX_TEXT_LENGTH}" value="\${options.text ?? ''}" placeholder="New item" autocomplete="off" data-bind:text
          \${options.error ? html\`aria-invalid="true" aria-describedby="\${errorId}"\` : ''}>
      </div>
      <button type="submit" class="button button--primary" data-attr:aria-busy="$_busy">Add</button>
    </form>
    <p id="\${errorId}" class="field-error" role="alert">\${options.error ?? ''}</p>\`
}

/** The region the feed re-renders whole (\`#${n.kebab}-region\`). Ids come from entity ids. */
export function ${n.camel}Region(state: ${n.pascal}State, options: ${n.pascal}ViewOptions = {}): Html {
  return html\`<section id="${n.kebab}-region" class="card stack">
    \${addForm(options)}
    <ul>
      \${state.items.map(
        (item) => html\`<li id="${n.kebab}-\${item.id}" class="cluster">
          <span>\${item.text}</span>
          <form method="post" action="/${n.kebab}/\${item.id}/remove" data-on:submit="@post(\${js(\`/${n.kebab}/\${item.id}/remove\`)})">
            <button type="submit" class="button button--ghost button--small">Remove</button>
          </form>
        </li>\`,
      )}
    </ul>
  </section>\`
}

/**
 * The page: \`data-init\` opens the feed from the position the page was rendered at, and
 * \`data-signals\` holds the field's text (outside the region, so a morph keeps it).
 */
export function ${n.camel}Page(state: ${n.pascal}State, position: number, options: ${n.pascal}ViewOptions = {}): Html {
  return html\`<div class="example" data-signals="\${js({ text: options.text ?? '', _busy: false })}" data-init="@get(\${js(\`/${n.kebab}/feed?since=\${position}\`)})">
    <header class="example__header"><h1>${n.title}</h1></header>
    \${${n.camel}Region(state, options)}
  </div>\`
}
`

const routes = (n: FeatureNames) => `import { z } from 'zod'
import { commandRoute, type Rejection } from '../../core/web/http/command.ts'
import type { Handler, RequestContext, RouteTable } from '../../core/web/http/context.ts'
import { parseParams } from '../../core/web/http/input.ts'
import { feedRoute } from '../../core/web/sse.ts'
import { layout, page } from '../../core/web/ui/layout.ts'
import { addItemInput, ${constName(n, 'STREAM')}, type ${n.pascal}Command, ${n.camel}Decider } from './domain.ts'
import { ${n.camel}Projection } from './projection.ts'
import { ${n.camel}Page, ${n.camel}Region } from './views.ts'

/** This server's running read model. */
const readModel = (ctx: RequestContext) => ctx.app.projection(${n.camel}Projection)

const show: Handler = function show${n.pascal}(_req, ctx) {
  const { state, position } = readModel(ctx)
  return page(ctx, { title: '${n.title}', body: ${n.camel}Page(state, position) })
}

/** One view for everyone; it re-renders on the events the projection handles. */
const feed = feedRoute((ctx) => ({
  key: '${n.kebab}',
  projections: [readModel(ctx)],
  render: () => ${n.camel}Region(readModel(ctx).state).value,
}))

const run = (ctx: RequestContext, command: ${n.pascal}Command) =>
  ctx.app.commands.handle(${n.camel}Decider, ${constName(n, 'STREAM')}, command)

function rejected(ctx: RequestContext, rejection: Rejection) {
  const options = {
    error: rejection.issues.text ?? rejection.issues._form,
    text: typeof rejection.values.text === 'string' ? rejection.values.text : '',
  }
  const { state, position } = readModel(ctx)
  return {
    page: () => layout(ctx, { title: '${n.title}', body: ${n.camel}Page(state, position, options) }),
    region: () => ${n.camel}Region(state, options),
  }
}

// \`waitFor\`: the answer waits until the read model shows the change, so the redirected page does too.
const addCommand = commandRoute({
  input: addItemInput,
  redirect: '/${n.kebab}',
  waitFor: ${n.camel}Projection,
  rejected,
  handle: ({ text }, ctx) => run(ctx, { type: 'Add${n.pascal}Item', id: Bun.randomUUIDv7(), text, at: new Date().toISOString() }),
})

/** After an add through Datastar, a JSON answer merges \`text: ''\` into the signals: the field clears. */
const add: Handler = async function add${n.pascal}Item(req, ctx) {
  const response = await addCommand(req, ctx)
  return ctx.isDatastar && response.status === 204 ? Response.json({ text: '' }) : response
}

const remove = commandRoute({
  redirect: '/${n.kebab}',
  waitFor: ${n.camel}Projection,
  handle(_input, ctx) {
    const { id } = parseParams(ctx, z.object({ id: z.string().min(1).max(64) }))
    return run(ctx, { type: 'Remove${n.pascal}Item', id })
  },
})

export const ${n.camel}Routes: RouteTable = {
  '/${n.kebab}': { GET: show, POST: add },
  '/${n.kebab}/feed': { GET: feed },
  '/${n.kebab}/:id/remove': { POST: remove },
}
`

const index = (n: FeatureNames) => `import { defineSlice } from '../../core/slice.ts'
import { ${n.camel}Projection } from './projection.ts'
import { ${n.camel}Routes } from './routes.ts'

export const ${n.camel} = defineSlice({
  name: '${n.kebab}',
  projections: [${n.camel}Projection],
  routes: ${n.camel}Routes,
  // \`icon\`: any name in src/core/web/ui/icons.ts; \`description\` (and an optional \`badge\`) fill the landing card.
  nav: {
    href: '/${n.kebab}',
    label: '${n.title}',
    icon: 'package',
    description: '${n.title}: add and remove items, live in every tab',
  },
})
`

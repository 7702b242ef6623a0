import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { loadConfig } from '../../../../src/config.ts'
import {
  NotFoundError,
  OverloadedError,
  PayloadTooLargeError,
  RuleViolation,
  UnexpectedError,
  ValidationError,
  VersionConflict,
} from '../../../../src/core/errors.ts'
import { defineSlice } from '../../../../src/core/slice.ts'
import { type Html, html, js, signals } from '../../../../src/core/web/html.ts'
import { commandRoute, type Rejection } from '../../../../src/core/web/http/command.ts'
import { HttpError } from '../../../../src/core/web/http/errors.ts'
import { parseParams, parseQuery } from '../../../../src/core/web/http/input.ts'
import type { RequestLogLine } from '../../../../src/core/web/http/request-log.ts'
import { layout, page } from '../../../../src/core/web/ui/layout.ts'
import { type RunningServer, startServer } from '../../../../src/server.ts'
import { type Board, boardProjection, notesDecider } from '../../../fixtures/notes.ts'

const BOARD = { type: 'board', id: 'main' } as const

const AddNote = z.object({
  text: z.string().trim().min(1, 'Write something first').max(200, 'Keep it under 200 characters'),
})

function noteForm(rejection?: Rejection): Html {
  const error = rejection?.issues.text
  const value = typeof rejection?.values.text === 'string' ? rejection.values.text : ''
  return html`<form id="note-form" method="post" action="/notes">
    <div class="field">
      <label for="text">Note</label>
      <input id="text" name="text" value="${value}" ${error ? html`aria-invalid="true"` : ''}>
      ${error ? html`<p class="field__error" id="text-error">${error}</p>` : ''}
    </div>
    <button class="button button--primary">Add</button>
  </form>`
}

function notesPage(board: Board, rejection?: Rejection): Html {
  const notes = board.notes.map(
    (note) =>
      html`<li id="note-${note.id}" data-signals="${signals({ draft: note.text })}" data-on:click="@post(${js(`/notes/${note.text}`)})">${note.text}</li>`,
  )
  return html`<h1>Notes</h1><ul id="notes">${notes}</ul>${noteForm(rejection)}`
}

/** One of each error class a handler may throw, by name (`/probe/throw/:kind`). */
function makeError(kind: string): unknown {
  const errors: Record<string, () => unknown> = {
    validation: () => new ValidationError('Cannot read the input: bad'),
    'too-large': () => new PayloadTooLargeError('Cannot take a payload this large', 10),
    'not-found': () => new NotFoundError('Cannot find the thing'),
    rule: () => new RuleViolation('Cannot do that now'),
    conflict: () => new VersionConflict({ type: 'board', id: 'main' }, 1, 2),
    overloaded: () => new OverloadedError('Cannot append: queue full'),
    http: () => new HttpError(415, 'Cannot read this content type'),
    unexpected: () => new UnexpectedError('Cannot open the file'),
  }
  return (errors[kind] ?? (() => new Error('a plain error')))()
}

/** A test-only slice: a board of notes behind a command route, plus probes for sessions and errors. */
export function makeNotesSlice() {
  const board = boardProjection('http-test-board')
  return defineSlice({
    name: 'notes',
    events: { NoteAdded: {}, BoardRenamed: {} },
    projections: [board],
    nav: { href: '/notes', label: 'Notes', icon: 'list-todo' },
    routes: () => ({
      '/notes': {
        GET: async (_req, ctx) => page(ctx, { title: 'Notes', body: notesPage(ctx.app.projection(board).state) }),
        POST: commandRoute({
          input: AddNote,
          async handle(input, ctx) {
            const result = await ctx.app.commands.handle(notesDecider, BOARD, { type: 'AddNote', text: input.text })
            await ctx.app.projection(board).waitFor(result.position)
          },
          rejected: (ctx, rejection) => ({
            page: () => layout(ctx, { title: 'Notes', body: notesPage(ctx.app.projection(board).state, rejection) }),
            region: () => noteForm(rejection),
          }),
        }),
      },
      '/probe/session': {
        GET: (_req, ctx) => Response.json({ id: ctx.session.id }),
        POST: async (_req, ctx) => {
          const before = ctx.session.id
          const after = (await ctx.rotateSession()).id
          return Response.json({ before, after })
        },
      },
      '/probe/boom': {
        GET: () => {
          throw new Error('Cannot open /etc/secret: permission denied')
        },
        POST: () => {
          throw new Error('Cannot open /etc/secret: permission denied')
        },
      },
      '/probe/items/:id': {
        GET: (_req, ctx) => Response.json(parseParams(ctx, z.object({ id: z.string().regex(/^[a-z0-9-]{1,20}$/) }))),
      },
      '/probe/query': {
        GET: (_req, ctx) => Response.json(parseQuery(ctx, z.object({ page: z.coerce.number().int().min(1) }))),
      },
      '/probe/throw/:kind': {
        GET: (_req, ctx) => {
          throw makeError(ctx.params.kind ?? '')
        },
        // A command that uses the visitor's session, then fails.
        POST: (_req, ctx) => {
          if (!ctx.session.id) throw new Error('a session without an id')
          throw makeError(ctx.params.kind ?? '')
        },
      },
      '/probe/redirect': {
        GET: () => Response.redirect('/notes', 303),
      },
    }),
  })
}

export interface TestServer {
  readonly server: RunningServer
  readonly url: URL
  readonly logs: RequestLogLine[]
  headPosition(): Promise<number>
  stop(): Promise<void>
}

/**
 * Starts the real server (PORT 0, temp DATA_DIR) with the notes slice and a captured request log;
 * `listen: false` binds no port (requests go to `server.fetch`).
 */
export async function startTestServer(env: Record<string, string> = {}, { listen = true } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ironstar-http-'))
  const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, IRONSTAR_ENV: 'test', ...env })
  const logs: RequestLogLine[] = []
  const server = await startServer(config, { slices: [makeNotesSlice()], log: (line) => logs.push(line), listen })
  return {
    server,
    url: server.url,
    logs,
    headPosition: () => server.app.store.headPosition(),
    async stop() {
      await server.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

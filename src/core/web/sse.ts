import { type StoredEvent, type StreamRef, streamKey } from '../eventsourcing/events.ts'
import type { Handler, RequestContext } from './http/context.ts'
import { negotiateEncoding } from './sse/compression.ts'
import { type FeedConnection, feedHeaders } from './sse/feed-connection.ts'
import type { FeedView, ViewSource } from './sse/feed-hub.ts'
import { sessionOf } from './sse/feed-owner.ts'
import type { FeedRefusal, FeedRegistry } from './sse/feed-registry.ts'
import { readResumePoint } from './sse/resume.ts'

export type { FeedCounters, FeedLimits } from './sse/feed-registry.ts'
export { FeedRegistry } from './sse/feed-registry.ts'

/** What `serveFeed` needs from the request context (web-shell's RequestContext fits). */
export interface FeedContext {
  readonly url?: URL
  /** The server's feeds (`app.feeds`), with the limits from its config. */
  readonly app: { readonly feeds: FeedRegistry }
  /** Bun's server, to lift its idle timeout for this request; without it keep-alives must beat the timeout. */
  readonly server?: { timeout(request: Request, seconds: number): void }
}

/** One fragment of a feed: a region with its own key, relevance and render. */
export interface FragmentOptions {
  /**
   * Names the fragment: connections with the same key share one render and the same bytes, so
   * the key must include whatever the fragment depends on (e.g. `todos:${listId}`, or a session
   * id for a per-user fragment).
   */
  key: string
  /**
   * True for events that can change this fragment; others never cause a render.
   * @default the events its projections declare they handle (every event if one declares none)
   */
  isRelevant?: (event: StoredEvent) => boolean
  /** Without `isRelevant`: only events of these streams (and of the types its projections declare). */
  streams?: readonly StreamRef[]
  /** The whole region as HTML with `id`s (a fat morph). Pure and synchronous. */
  render: () => string
  /** The projections `render` reads; the feed waits for them to reach an event before rendering. */
  projections?: readonly ViewSource[]
}

/** A feed of one fragment, its key naming both. */
export interface FeedOptions extends FragmentOptions {
  /** Re-render on the clock, every this many ms, instead of on events (a view of the process, not the log). */
  everyMs?: number
}

/**
 * A feed of several fragments, each rendered once per change for everyone who shares its key:
 * what varies per user goes in its own fragment, so what does not is rendered and encoded once.
 */
export interface FragmentedFeedOptions {
  /** Names the feed (its hub): the same for every connection to it, e.g. the route's name. */
  key: string
  /** Each morphed by its own ids; keys unique within the feed. */
  fragments: readonly FragmentOptions[]
}

type AnyFeedOptions = FeedOptions | FragmentedFeedOptions

/** Relevance a view gets from what its projections declare: unsure means relevant. */
function declaredRelevance(sources: readonly ViewSource[]): (event: StoredEvent) => boolean {
  const checks = sources.map((source) => source.canHandle)
  if (checks.length === 0 || checks.some((check) => check === undefined)) return () => true
  return (event) => checks.some((check) => check?.(event))
}

/** Declared relevance, narrowed to the given streams when there are any. */
function defaultRelevance(sources: readonly ViewSource[], streams?: readonly StreamRef[]) {
  const declared = declaredRelevance(sources)
  if (!streams) return declared
  const keys: ReadonlySet<string> = new Set(streams.map(streamKey))
  return (event: StoredEvent) => keys.has(streamKey(event.stream)) && declared(event)
}

/**
 * Answers a Datastar feed request (`data-init="@get('/todos/feed?since=42')"`): a long-lived
 * SSE stream of `datastar-patch-elements` events, each with `id: <global position>`.
 *
 * - Resumes from `Last-Event-ID` (reconnect) or `?since=` (the position the page rendered at):
 *   one fat morph per fragment that changed since, nothing for the others; with neither, one
 *   fat morph per fragment. The `id:` is a position every fragment on the connection reflects.
 * - Then one fat morph per fragment a change touches (rendered once per fragment key), and one
 *   per fragment after a lag.
 * - Keep-alives, gzip when accepted (shared patches compressed once), and a bounded queue per client.
 * - HEAD, a refusal (503 when full or shutting down, 429 past the per-session bound) and a
 *   client already gone open nothing. `options` may be a function, called only when the feed
 *   really opens (so a fragment keyed by the session creates none for those).
 */
export async function serveFeed(
  req: Request,
  ctx: FeedContext,
  options: AnyFeedOptions | (() => AnyFeedOptions),
): Promise<Response> {
  const url = ctx.url ?? new URL(req.url)
  const resume = readResumePoint(req, url)
  if (!resume.ok) return plain(400, resume.error)
  const admitted = admit(req, ctx)
  if (admitted instanceof Response) return admitted

  const resolved = typeof options === 'function' ? options() : options
  const { registry, encoding, owner } = admitted
  const closeSocket = socketCloser(req, ctx.server)
  if (!('fragments' in resolved) && resolved.everyMs !== undefined) {
    const { key, render, everyMs } = resolved
    const { connection, hub } = registry.openClock({ key, render, everyMs }, encoding, owner, closeSocket)
    endOnAbort(req, connection)
    hub.join(connection)
    return connection.response
  }
  const { key, fragments } = 'fragments' in resolved ? resolved : { key: resolved.key, fragments: [resolved] }
  const views = fragments.map(toView)
  if (views.length === 0 || new Set(views.map((view) => view.key)).size < views.length) {
    throw new TypeError(`Cannot serve feed "${key}": it needs at least one fragment, each with its own key`)
  }
  const { connection, hub } = registry.open(key, encoding, owner, closeSocket)
  endOnAbort(req, connection)
  hub.join(connection, views, resume.since).catch(endOnFailedStart(registry, key, connection))
  return connection.response
}

// The closures a feed keeps are made here, apart from `serveFeed`: a closure there would keep
// its whole scope (the request context, its session and URL) for as long as the feed is open.

/** Bun's idle timeout is the one way to close a socket it cannot flush: at its next sweep (~4 s). */
function socketCloser(req: Request, server: FeedContext['server']): (() => void) | undefined {
  return server && (() => server.timeout(req, 1))
}

function endOnFailedStart(registry: FeedRegistry, key: string, connection: FeedConnection) {
  return (error: unknown) => {
    registry.log.error(`Cannot start feed "${key}"`, { error })
    connection.end('shutdown')
  }
}

function toView({ key, render, projections = [], isRelevant, streams }: FragmentOptions): FeedView {
  return { key, render, sources: projections, isRelevant: isRelevant ?? defaultRelevance(projections, streams) }
}

/** A route that serves a feed; `options` is built from the request only when the feed really opens. */
export function feedRoute(options: (ctx: RequestContext) => AnyFeedOptions): Handler {
  return function feed(req, ctx) {
    return serveFeed(req, ctx, () => options(ctx))
  }
}

interface Admitted {
  readonly registry: FeedRegistry
  readonly encoding: ReturnType<typeof negotiateEncoding>
  readonly owner: string | null
}

const REFUSALS: Record<FeedRefusal, (registry: FeedRegistry) => Response> = {
  closed: () => plain(503, 'Cannot open feed: the server is shutting down', { 'Retry-After': '1' }),
  full: () => plain(503, 'Cannot open feed: too many feeds are open', { 'Retry-After': '5' }),
  'session-full': (registry) =>
    plain(
      429,
      `Cannot open feed: this session has ${registry.limits.maxPerSession} feeds open, the most it may; close a tab and try again`,
      { 'Retry-After': '5' },
    ),
}

/** The checks every feed passes before anything is opened; HEAD gets a GET's status and headers here. */
function admit(req: Request, ctx: FeedContext): Admitted | Response {
  const registry = ctx.app.feeds
  const owner = sessionOf(req)
  const refusal = registry.refusal(owner)
  if (refusal) return REFUSALS[refusal](registry)
  const encoding = negotiateEncoding(req.headers.get('accept-encoding'))
  if (req.method === 'HEAD') return new Response(null, { headers: feedHeaders(registry.encodingFor(encoding)) })
  if (req.signal.aborted) return plain(499, 'Cannot open feed: the client has gone')
  // Bun closes a response that sends nothing for `idleTimeout` seconds (10 by default).
  ctx.server?.timeout(req, 0)
  return { registry, encoding, owner }
}

/** A client that leaves before or while the response is sent releases its feed (the stream's cancel does too). */
function endOnAbort(req: Request, connection: FeedConnection): void {
  req.signal.addEventListener('abort', () => connection.end('client-gone'), { once: true })
}

function plain(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers } })
}

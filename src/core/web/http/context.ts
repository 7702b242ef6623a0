import type { AppContext } from '../../app-context.ts'
import type { Session } from '../session.ts'

/** One entry of the header navigation, contributed by a slice. */
export interface NavItem {
  readonly href: string
  readonly label: string
  /** A lucide icon name from the icon set in `src/core/web/ui/icons.ts`. */
  readonly icon?: string
  /** One line for the landing page. */
  readonly description?: string
  /** What the example shows, in two or three words (a badge on the landing page). */
  readonly badge?: string
}

export type Theme = 'system' | 'light' | 'dark'

/** The long-lived server, for handlers that need it (an SSE feed turning off the idle timeout). */
export interface ServerHandle {
  timeout(request: Request, seconds: number): void
  /** The socket's peer (a proxy's, behind one); null when Bun cannot tell. */
  requestIP(request: Request): { readonly address: string } | null
}

/** What every handler receives next to the Web-standard Request. */
export interface RequestContext {
  readonly url: URL
  /** Route parameters (`/todos/:id` → `{ id }`); validate them with `parseParams`. */
  readonly params: Readonly<Record<string, string>>
  readonly app: AppContext
  /** True when the request carries `Datastar-Request: true`. */
  readonly isDatastar: boolean
  /** Logged with the request; shown on error pages. */
  readonly requestId: string
  /**
   * The visitor's session, created (and its cookie set) on first access. A request that only
   * reads (GET, HEAD, OPTIONS) gets it unstored; the first request that writes stores it, same id.
   */
  readonly session: Session
  /** Issues a new session token for the same session id (call it on privilege change); its cookie is set. */
  rotateSession(): Promise<Session>
  /** The header navigation, built from the slices' `nav`. */
  readonly nav: readonly NavItem[]
  /** The theme chosen with the toggle (a cookie); `system` follows the OS. */
  readonly theme: Theme
  /** The dev reload `<script>` the layout puts in pages (empty outside development). */
  readonly devReloadScript: () => string
  /** Bun's server, when Bun.serve delivered the request; none for a call to the app's `fetch` without a port. */
  readonly server?: ServerHandle
}

export type Handler = (req: Request, ctx: RequestContext) => Response | Promise<Response>

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
export type HttpMethod = (typeof HTTP_METHODS)[number]

/** Path (Bun route syntax: `/todos/:id/toggle`, `/assets/*`) → method → handler. */
export type RouteTable = Readonly<Record<string, Partial<Readonly<Record<HttpMethod, Handler>>>>>

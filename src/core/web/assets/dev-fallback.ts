import { type DevProblem, formatProblem, problemsFromError } from './dev-problems.ts'
import { DevReload } from './dev-reload.ts'

export interface LoadErrorServerOptions {
  readonly hostname: string
  readonly port: number
  /** Project root, so the error names `src/features/todo/views.ts` rather than an absolute path. */
  readonly root: string
  /** What importing or starting the real server threw. */
  readonly error: unknown
}

export interface LoadErrorServer {
  readonly url: URL
  readonly problems: readonly DevProblem[]
  stop(): void
}

function errorPage(problems: readonly DevProblem[], scriptTag: string): string {
  const listed = problems.map((p) => Bun.escapeHTML(formatProblem(p))).join('\n\n')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The server cannot start · Ironstar</title>
${scriptTag}
</head>
<body>
<main>
<h1>The server cannot start</h1>
<pre>${listed}</pre>
<p>Fix the file and save: the server restarts by itself and this page reloads.</p>
</main>
</body>
</html>
`
}

/**
 * Stands in for the server while its code cannot load (`bun run dev` after a bad save): every page answers
 * with the error, and open pages show it in the dev overlay through the same reload channel. `bun --watch`
 * replaces this process with the real server on the next save.
 */
export function serveLoadError({ hostname, port, root, error }: LoadErrorServerOptions): LoadErrorServer {
  const reload = new DevReload({ isServerLoaded: false })
  const problems = problemsFromError('server', root, error)
  reload.setProblems(['server'], problems)
  const server = Bun.serve({
    hostname,
    port,
    routes: { ...reload.scriptRoutes, ...reload.upgradeRoutes },
    websocket: reload.websocket,
    fetch(req) {
      const headers = {
        'Cache-Control': 'no-store',
        'Retry-After': '1',
        'Content-Security-Policy': "default-src 'self'; connect-src 'self'",
      }
      const wantsPage = req.method === 'GET' && (req.headers.get('accept') ?? '').includes('text/html')
      if (wantsPage) {
        return new Response(errorPage(problems, reload.scriptTag()), {
          status: 500,
          headers: { ...headers, 'Content-Type': 'text/html;charset=utf-8' },
        })
      }
      const text = `The server cannot start:\n${problems.map(formatProblem).join('\n')}\n`
      return new Response(text, { status: 503, headers: { ...headers, 'Content-Type': 'text/plain;charset=utf-8' } })
    },
  })
  return {
    url: server.url,
    problems,
    stop() {
      reload.close()
      void server.stop(true)
    },
  }
}

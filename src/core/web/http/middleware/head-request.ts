import type { Middleware } from '../compose.ts'

/** A HEAD request gets the GET answer's status and headers, without its body. */
export const headWithoutBody: Middleware = async function headWithoutBody(ex, next) {
  const response = await next(ex)
  if (ex.req.method !== 'HEAD') return response
  return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers })
}

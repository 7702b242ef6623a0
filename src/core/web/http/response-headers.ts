/**
 * Edits a response's headers in place: re-wrapping a Response would turn a string body into a
 * stream and lose Bun's fast path. Only responses with immutable headers (Response.redirect, a
 * proxied fetch) are copied first.
 */
export function editHeaders(response: Response, edit: (headers: Headers) => void): Response {
  try {
    edit(response.headers)
    return response
  } catch {
    const copy = new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: new Headers(response.headers),
    })
    edit(copy.headers)
    return copy
  }
}

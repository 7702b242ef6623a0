import type { Exchange } from './exchange.ts'

/** The innermost step, or everything after a middleware: the exchange in, the answer out. */
export type Next = (ex: Exchange) => Promise<Response>

/** One concern of the request pipeline: may act before `next`, after it, or answer instead of it. */
export type Middleware = (ex: Exchange, next: Next) => Promise<Response>

/** Chains middleware around an endpoint, first in the list outermost. Built once: no closures per request. */
export function compose(middleware: readonly Middleware[], endpoint: Next): Next {
  return middleware.reduceRight<Next>((inner, outer) => (ex) => outer(ex, inner), endpoint)
}

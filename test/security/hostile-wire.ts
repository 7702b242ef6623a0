/** Hostile requests on the wire: their exact bytes, and one line that says what was sent. */

import type { HostileRequest } from './hostile-requests.ts'
import type { Delivery } from './raw-http.ts'

export const bytes = (text: string) => new TextEncoder().encode(text)
/** One byte per character, as HTTP/1.1 header bytes are: no UTF-8 encoding on the way. */
export const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff)

/** The request's bytes on the wire, with Host (unless told not to), Content-Length and Connection: close. */
export function encodeRequest(request: HostileRequest, host: string): Uint8Array {
  const lines = [`${request.method} ${request.target} HTTP/${request.version}`]
  const has = (name: string) => request.headers.some(([n]) => n.toLowerCase() === name)
  if (!request.noHost && !has('host')) lines.push(`Host: ${host}`)
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`)
  if (!request.noLength && (request.body.byteLength > 0 || request.method === 'POST')) {
    lines.push(`Content-Length: ${request.body.byteLength}`)
  }
  lines.push('Connection: close', '', '')
  const head = latin1(lines.join('\r\n'))
  const wire = new Uint8Array(head.byteLength + request.body.byteLength)
  wire.set(head)
  wire.set(request.body, head.byteLength)
  return wire
}

/** The request's bytes as `sendRaw` sends them: whole, cut short and half-closed, or in slow parts. */
export function deliveryOf(request: HostileRequest, host: string): Uint8Array | Delivery {
  const wire = encodeRequest(request, host)
  const { delivery } = request
  if (!delivery) return wire
  if ('cutFraction' in delivery) {
    const cut = Math.min(wire.byteLength - 1, Math.floor(delivery.cutFraction * wire.byteLength))
    return { parts: [wire.subarray(0, cut)], gapMs: 0, halfClose: true }
  }
  const size = Math.ceil(wire.byteLength / delivery.parts)
  const parts = Array.from({ length: delivery.parts }, (_, i) => wire.subarray(i * size, (i + 1) * size))
  return { parts: parts.filter((part) => part.byteLength > 0), gapMs: delivery.gapMs, halfClose: false }
}

/** One line that says what was sent, for a failure message. */
export function describeRequest(request: HostileRequest): string {
  const target = request.target.length > 80 ? `${request.target.slice(0, 80)}…` : request.target
  const body = new TextDecoder().decode(request.body.subarray(0, 60))
  const hosts = request.headers.filter(([name]) => name.toLowerCase() === 'host').map(([, value]) => value.slice(0, 40))
  const host = request.noHost ? ' host=none' : hosts.length > 0 ? ` host=${JSON.stringify(hosts)}` : ''
  const { delivery } = request
  const how = !delivery
    ? ''
    : 'cutFraction' in delivery
      ? ` cut at ${delivery.cutFraction.toFixed(2)}`
      : ` in ${delivery.parts} parts ${delivery.gapMs} ms apart`
  return `[${request.kind}] ${request.method.slice(0, 20)} ${target} HTTP/${request.version}${host}${how} body=${JSON.stringify(body)}`
}

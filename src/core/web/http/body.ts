import { PayloadTooLargeError } from '../../errors.ts'
import { HttpError } from './errors.ts'
import { assertValidText } from './valid-text.ts'

/**
 * Reads a request (or response) body up to `limitBytes`. A declared Content-Length over the limit is refused
 * before reading; a chunked body is counted as it streams and cut off at the limit, so a
 * client can never make the server buffer more than the limit.
 */
export async function readBodyBytes(
  req: Pick<Request, 'headers' | 'body'>,
  limitBytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const tooLarge = () =>
    new PayloadTooLargeError(`Cannot accept request body: larger than ${limitBytes} bytes`, limitBytes)
  const declared = Number(req.headers.get('content-length') ?? '0')
  if (declared > limitBytes) throw tooLarge()
  if (!req.body) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let total = 0
  const reader = req.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > limitBytes) {
      await reader.cancel()
      throw tooLarge()
    }
    chunks.push(value)
  }
  return new Uint8Array(Buffer.concat(chunks))
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes)
  } catch {
    throw new HttpError(400, `Cannot read ${what}: it is not valid UTF-8`)
  }
}

/** Form fields as an object; a repeated name becomes an array (checkbox groups). */
export type FormValues = Record<string, string | string[]>

/** Fields one form may hold: far more than any form has, few enough that no body is costly to walk. */
export const MAX_FORM_FIELDS = 1_000

/** Collects fields in linear time: a repeated name appends to its own array in place. */
function formCollector(): { values: FormValues; add(name: string, value: string): void } {
  const values: FormValues = Object.create(null)
  let count = 0
  return {
    values,
    add(name, value) {
      if (++count > MAX_FORM_FIELDS) {
        throw new HttpError(413, `Cannot read form data: more than ${MAX_FORM_FIELDS} fields`)
      }
      const existing = values[name]
      if (existing === undefined) values[name] = value
      else if (Array.isArray(existing)) existing.push(value)
      else values[name] = [existing, value]
    },
  }
}

function decodeComponent(part: string): string {
  try {
    return decodeURIComponent(part.replaceAll('+', ' '))
  } catch {
    throw new HttpError(400, 'Cannot read form data: malformed percent-encoding')
  }
}

/** Parses `application/x-www-form-urlencoded` strictly: URLSearchParams would silently keep bad escapes. */
export function parseUrlEncoded(text: string): FormValues {
  const form = formCollector()
  for (const pair of text.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq))
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1))
    form.add(name, value)
  }
  return form.values
}

async function parseMultipart(bytes: Uint8Array<ArrayBuffer>, contentType: string): Promise<FormValues> {
  let form: FormData
  try {
    form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData()
  } catch {
    throw new HttpError(400, 'Cannot read form data: malformed multipart body')
  }
  const fields = formCollector()
  // Files are not command input; a slice that takes uploads reads the body itself.
  for (const [name, value] of form) if (typeof value === 'string') fields.add(name, value)
  return fields.values
}

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new HttpError(400, `Cannot read JSON body: ${(error as Error).message}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'Cannot read JSON body: expected an object')
  }
  return value as Record<string, unknown>
}

export interface ReadInputOptions {
  /** @default the configured BODY_LIMIT_BYTES */
  limitBytes?: number
}

/**
 * The raw input of a command, from wherever the client put it: a form body (plain or
 * Datastar `contentType: 'form'`), Datastar signals as a JSON body, or, for GET and DELETE,
 * the `datastar` query parameter (how Datastar sends signals on those methods). Text that is
 * not valid (unpaired surrogates, control characters) is refused with 422, whatever the source.
 */
export async function readRawInput(req: Request, url: URL, limitBytes: number): Promise<Record<string, unknown>> {
  const values = await readValues(req, url, limitBytes)
  assertValidText(values)
  return values
}

async function readValues(req: Request, url: URL, limitBytes: number): Promise<Record<string, unknown>> {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') {
    const signals = url.searchParams.get('datastar')
    if (signals !== null) return parseJsonObject(signals)
    if (req.method !== 'DELETE') return Object.fromEntries(url.searchParams)
  }
  const bytes = await readBodyBytes(req, limitBytes)
  if (bytes.byteLength === 0) return {}
  const contentType = (req.headers.get('content-type') ?? '').toLowerCase()
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    return parseUrlEncoded(decodeUtf8(bytes, 'form data'))
  }
  if (contentType.startsWith('multipart/form-data')) return parseMultipart(bytes, contentType)
  if (contentType.startsWith('application/json') || contentType === '') {
    return parseJsonObject(decodeUtf8(bytes, 'JSON body'))
  }
  throw new HttpError(415, `Cannot read request body of type "${contentType}": send a form or JSON`)
}

import { PayloadTooLargeError, ValidationError } from '../../errors.ts'

/**
 * JSON.stringify silently turns NaN into null and a Map into {}: reject what would not
 * survive a round trip instead of storing something other than what the decider produced.
 */
function strictReplacer(key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'function':
    case 'symbol':
    case 'bigint':
      throw new ValidationError(`Cannot serialise payload: "${key}" is a ${typeof value}`)
    case 'number':
      if (!Number.isFinite(value)) throw new ValidationError(`Cannot serialise payload: "${key}" is ${value}`)
      return value
    case 'object':
      if (value instanceof Map || value instanceof Set) {
        throw new ValidationError(`Cannot serialise payload: "${key}" is a ${value.constructor.name}`)
      }
      return value
    default:
      return value
  }
}

/** Serialises an event payload, enforcing JSON-compatibility and the size limit. */
export function serializePayload(data: unknown, maxBytes: number, what: string): string {
  let json: string | undefined
  try {
    json = JSON.stringify(data, strictReplacer)
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(`${what}: ${error.message}`)
    throw new ValidationError(`${what}: cannot serialise payload as JSON (${(error as Error).message})`)
  }
  if (json === undefined) throw new ValidationError(`${what}: payload is not JSON-serialisable`)
  // Length in UTF-16 units is a lower bound of UTF-8 bytes; only measure exactly near the limit.
  if (json.length * 3 > maxBytes && Buffer.byteLength(json) > maxBytes) {
    throw new PayloadTooLargeError(`${what}: payload is ${Buffer.byteLength(json)} bytes, limit ${maxBytes}`, maxBytes)
  }
  return json
}

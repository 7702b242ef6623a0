/** How a projection's state becomes text in a snapshot and back. */
export interface SnapshotCodec<State> {
  readonly encode: (state: State) => string
  readonly decode: (text: string) => State
}

/** State a codec cannot write faithfully: the snapshot is skipped (and counted), never written lossy. */
export class UnsnapshottableStateError extends Error {
  override readonly name = 'UnsnapshottableStateError'
}

// Tags no JSON a fold builds is likely to hold as an object's only key; `decode` checks the shape too.
const MAP_TAG = '$ironstar:map'
const SET_TAG = '$ironstar:set'

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

function refuse(what: string, key: string): never {
  throw new UnsnapshottableStateError(`Cannot snapshot state: ${what} at key "${key}" does not survive JSON`)
}

/**
 * JSON with Maps and Sets (in insertion order, which folds such as an LRU rely on). Anything
 * JSON would change silently is refused: class instances (Date included), functions, symbols,
 * non-finite numbers, `undefined` in an array, and a plain object that looks like a tag.
 */
function replacer(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key]
  if (original instanceof Map) return { [MAP_TAG]: [...original] }
  if (original instanceof Set) return { [SET_TAG]: [...original] }
  switch (typeof original) {
    case 'number':
      return Number.isFinite(original) ? value : refuse(String(original), key)
    case 'function':
    case 'symbol':
      return refuse(`a ${typeof original}`, key)
    case 'undefined':
      return Array.isArray(this) ? refuse('undefined in an array', key) : value
    case 'object':
      if (original === null || Array.isArray(original)) return value
      if (!isPlainObject(original)) return refuse(`an instance of ${original.constructor?.name ?? 'a class'}`, key)
      if (MAP_TAG in original || SET_TAG in original) return refuse('an object with a tag key', key)
      return value
    default:
      return value
  }
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  const keys = Object.keys(value)
  if (keys.length !== 1) return value
  const tagged = (value as Record<string, unknown>)[keys[0] as string]
  if (keys[0] === MAP_TAG && Array.isArray(tagged)) return new Map(tagged as [unknown, unknown][])
  if (keys[0] === SET_TAG && Array.isArray(tagged)) return new Set(tagged)
  return value
}

/** The codec a projection gets unless it brings its own: JSON plus Map and Set. */
export function jsonSnapshotCodec<State>(): SnapshotCodec<State> {
  return {
    encode: (state) => JSON.stringify(state, replacer),
    decode: (text) => JSON.parse(text, reviver) as State,
  }
}

import { UnknownEventTypeError } from '../errors.ts'

/** Turns the payload of schema version N into the payload of version N + 1. */
// biome-ignore lint/suspicious/noExplicitAny: an upcaster receives a payload of an old shape no type describes any more
export type Upcaster = (data: any) => unknown

export interface EventSchemaOptions {
  /** The version new events of this type are written at. @default 1 */
  version?: number
  /** `upcasters[n]` upgrades a payload from version n to n + 1. */
  upcasters?: Readonly<Record<number, Upcaster>>
}

interface EventSchema {
  readonly version: number
  readonly upcasters: Readonly<Record<number, Upcaster>>
}

/**
 * Every event type the application knows, with its current schema version and the chain of
 * upcasters that brings old payloads up to date on read, so deciders and projections only
 * ever see current shapes.
 */
export class EventRegistry {
  readonly #schemas = new Map<string, EventSchema>()

  register(type: string, options: EventSchemaOptions = {}): this {
    const { version = 1, upcasters = {} } = options
    for (let from = 1; from < version; from++) {
      if (!upcasters[from]) throw new Error(`Cannot register "${type}" at version ${version}: no upcaster from ${from}`)
    }
    if (this.#schemas.has(type)) throw new Error(`Cannot register "${type}": already registered`)
    this.#schemas.set(type, { version, upcasters })
    return this
  }

  registerAll(types: Iterable<string>): this {
    for (const type of types) this.register(type)
    return this
  }

  has(type: string): boolean {
    return this.#schemas.has(type)
  }

  /** The schema version new events of this type are written at. */
  currentVersion(type: string): number {
    const schema = this.#schemas.get(type)
    if (!schema) throw new UnknownEventTypeError(type)
    return schema.version
  }

  /** Brings a stored payload from its schema version to the current one. */
  upcast(type: string, schemaVersion: number, data: unknown): unknown {
    const schema = this.#schemas.get(type)
    if (!schema) throw new UnknownEventTypeError(type)
    let current = data
    for (let version = schemaVersion; version < schema.version; version++) {
      const upcaster = schema.upcasters[version]
      if (!upcaster) throw new UnknownEventTypeError(`${type}@v${version}`)
      current = upcaster(current)
    }
    return current
  }
}

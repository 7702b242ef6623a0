/** The spellings of a feature name that the templates need. */
export interface FeatureNames {
  /** `shopping-list`: folder, slice name, stream type, URL path. */
  readonly kebab: string
  /** `shoppingList`: the exported slice value. */
  readonly camel: string
  /** `ShoppingList`: the prefix of command and event types (they are global across slices). */
  readonly pascal: string
  /** `Shopping list`: page title and nav label. */
  readonly title: string
}

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/
/** Paths the shell or the build already own, and words that are not valid identifiers. */
const RESERVED = new Set(['assets', 'metrics', 'healthz', 'readyz', 'theme', 'app', 'core', 'default', 'new', 'delete'])

export function featureNames(raw: string): FeatureNames {
  const kebab = raw.trim()
  if (!KEBAB.test(kebab)) {
    throw new Error(`Cannot scaffold feature "${raw}": use kebab-case, e.g. "shopping-list"`)
  }
  if (RESERVED.has(kebab)) throw new Error(`Cannot scaffold feature "${kebab}": the name is reserved`)
  const words = kebab.split('-')
  const pascal = words.map((w) => (w[0] ?? '').toUpperCase() + w.slice(1)).join('')
  const camel = (pascal[0] ?? '').toLowerCase() + pascal.slice(1)
  const title = (words.join(' ')[0] ?? '').toUpperCase() + words.join(' ').slice(1)
  return { kebab, camel, pascal, title }
}

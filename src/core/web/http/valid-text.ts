import { HttpError } from './errors.ts'

/**
 * Input the event store accepts must be input every projection accepts. A JavaScript string
 * can hold an unpaired surrogate (a JSON `"\ud800"` escape decodes to one) that no UTF-8
 * reader takes: DuckDB refuses the JSON it is written as. Control characters have no place in
 * a form field either: NUL cuts strings short in C readers, and the others only spoof logs and
 * terminals. Tab, line feed and carriage return are text.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

function problemWith(text: string): string | null {
  if (!text.isWellFormed()) return 'an unpaired surrogate, which is not valid Unicode'
  const control = CONTROL_CHARACTER.exec(text)?.[0]
  if (control === undefined) return null
  return `a control character (U+${control.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`
}

/**
 * Refuses (422) input holding text that is not valid, in any field name or value at any depth.
 * The walk is iterative, so a deeply nested JSON body cannot overflow the stack, and it names
 * only the top-level field, so its cost stays linear in the input.
 */
export function assertValidText(values: Readonly<Record<string, unknown>>, what = 'input'): void {
  const pending: [value: unknown, field: string][] = []
  for (const [field, value] of Object.entries(values)) {
    const problem = problemWith(field)
    if (problem) throw new HttpError(422, `Cannot accept ${what}: a field name holds ${problem}`)
    pending.push([value, field])
  }
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, field] = next
    let problem: string | null = null
    if (typeof value === 'string') problem = problemWith(value)
    else if (Array.isArray(value)) for (const item of value) pending.push([item, field])
    else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        problem ??= problemWith(key)
        pending.push([item, field])
      }
    }
    if (problem) {
      const name = field.length > 40 ? `${Array.from(field).slice(0, 40).join('')}…` : field
      throw new HttpError(422, `Cannot accept ${what}: "${name}" holds ${problem}`)
    }
  }
}

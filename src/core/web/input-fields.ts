import { z } from 'zod'

/**
 * zod fields for command input as it arrives: strings from a form, or JSON values from Datastar
 * signals. They convert only what converts exactly, never by coercion; slices' `domain.ts`
 * files use them, so they live outside the HTTP layer.
 */

const DIGITS = /^\d{1,15}$/

/**
 * A whole number ≥ 0: a JSON number as it is, or a form field's decimal digits. `''`, `null`,
 * `true`, `' 1'`, `'1e3'` and `'0x1'` are refused with `message`, where `z.coerce.number()`
 * would make 0, 0, 1, 1, 1000 and 1 of them.
 */
export function wholeNumber(message: string) {
  return z
    .union([z.int(message).min(0, message), z.string().regex(DIGITS, message)], { error: message })
    .transform(Number)
}

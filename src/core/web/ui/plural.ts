/**
 * A count with its noun, grouped the way the pages print numbers: `plural(1, 'row')` is
 * "1 row", `plural(1234, 'row')` is "1,234 rows", `plural(2, 'query', 'queries')` is "2 queries".
 */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : pluralForm}`
}

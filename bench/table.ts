/** Prints rows as a markdown table; the first row's keys are the columns. */
export function printTable(rows: readonly Record<string, string | number>[]): void {
  const first = rows[0]
  if (!first) return
  const columns = Object.keys(first)
  const cell = (value: string | number | undefined) =>
    typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 2 }) : (value ?? '')
  console.log(`| ${columns.join(' | ')} |`)
  console.log(`| ${columns.map(() => '---').join(' | ')} |`)
  for (const row of rows) console.log(`| ${columns.map((c) => cell(row[c])).join(' | ')} |`)
  console.log()
}

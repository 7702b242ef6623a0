// `bun run bench faults [name…]`: runs each fault harness in bench/faults/ (or those whose file name
// contains an argument after `faults`) with its default, short settings. Each harness also runs on its
// own with its full settings (`bun bench/faults/<name>.ts --help`) and prints markdown tables.
import { Glob } from 'bun'

const filters = process.argv.slice(2).filter((arg) => arg !== 'faults')
const files = [...new Glob('*.ts').scanSync({ cwd: `${import.meta.dir}/faults` })]
  .filter((file) => !file.includes('/') && !file.startsWith('_'))
  .sort()
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))

for (const file of files) {
  console.log(`\n### ${file.replace('.ts', '')}\n`)
  const child = Bun.spawn(['bun', `${import.meta.dir}/faults/${file}`], { stdout: 'inherit', stderr: 'inherit' })
  const code = await child.exited
  if (code !== 0) console.log(`\n(${file} exited with code ${code})`)
}

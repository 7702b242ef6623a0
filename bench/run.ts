// `bun run bench [name…]`: runs every bench/*.bench.ts (or those whose name contains an
// argument) one after another; each prints its own markdown tables.
import { Glob } from 'bun'

const filters = process.argv.slice(2)
const files = [...new Glob('*.bench.ts').scanSync({ cwd: import.meta.dir })]
  .sort()
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))

const cpu =
  (
    await Bun.file('/proc/cpuinfo')
      .text()
      .catch(() => '')
  ).match(/model name\s*:\s*(.+)/)?.[1] ?? 'unknown'
console.log(
  `# Ironstar benchmarks\n\n${new Date().toISOString()} · Bun ${Bun.version} · ${navigator.hardwareConcurrency} cores · ${cpu}\n`,
)

for (const file of files) {
  console.log(`\n## ${file.replace('.bench.ts', '')}\n`)
  const child = Bun.spawn(['bun', `${import.meta.dir}/${file}`], { stdout: 'inherit', stderr: 'inherit' })
  const code = await child.exited
  if (code !== 0) console.log(`\n(${file} exited with code ${code})`)
}

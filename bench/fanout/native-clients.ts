// The fan-out clients in C (receiver.c), compiled by Bun's built-in C compiler. Exits with
// code 3 when it cannot compile or start here (not Linux, no C headers): the bench then uses
// the JavaScript clients instead and says so.
import { cc } from 'bun:ffi'

if (process.platform !== 'linux') process.exit(3)
let run: () => number
try {
  const { symbols } = cc({
    source: `${import.meta.dir}/receiver.c`,
    library: ['z', 'brotlidec'], // the browser mode's decoders
    symbols: { run: { args: [], returns: 'int' } },
  })
  run = symbols.run
} catch (error) {
  console.error('The native fan-out receiver did not compile:', error)
  process.exit(3)
}
process.exit(run() === 0 ? 0 : 3)

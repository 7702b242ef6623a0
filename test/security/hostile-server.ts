/**
 * The real app in a process of its own for the hostile-input suite: whatever a request does to
 * it cannot take the test runner down with it, and its memory is its own. Prints one JSON line,
 * its URL and every route its slices serve, then serves until killed or its parent goes (stdin closes).
 */
import { slices } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { startServer } from '../../src/server.ts'

const server = await startServer(loadConfig({ ...process.env, PORT: '0' }))
const routes = slices.flatMap((slice) =>
  Object.entries(slice.routes(server.app)).map(([path, methods]) => ({ path, methods: Object.keys(methods) })),
)
console.log(JSON.stringify({ url: server.url.href, routes }))
// A runner killed mid-campaign must not leave its server behind.
process.stdin.on('end', () => process.exit(0))
process.stdin.resume()

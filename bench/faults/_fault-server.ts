// The real server (the app's slices, config from the environment) with faults a harness injects
// from outside the process through its stdin, one word a line, on the server's own connection:
//   full      `PRAGMA max_page_count` = the pages it has: every write that needs a page fails
//             with SQLITE_FULL, as on a full disk
//   readonly  `PRAGMA query_only`: every write fails with SQLITE_READONLY, as on a disk
//             remounted read-only
//   clear     both lifted: space is back
import { loadConfig } from '../../src/config.ts'
import { startServer } from '../../src/server.ts'

const running = await startServer(loadConfig())
const { db } = running.app
process.once('SIGTERM', async () => {
  await running.stop()
  process.exit(0)
})

for await (const line of console) {
  if (line === 'full') {
    const { page_count } = db.query<{ page_count: number }, []>('PRAGMA page_count').get() ?? { page_count: 0 }
    db.run(`PRAGMA max_page_count = ${page_count}`)
  } else if (line === 'readonly') {
    db.run('PRAGMA query_only = ON')
  } else if (line === 'clear') {
    db.run('PRAGMA max_page_count = 1073741823')
    db.run('PRAGMA query_only = OFF')
  }
}

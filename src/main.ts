import { ConfigError, loadConfig } from './config.ts'
import { startServer } from './server.ts'

async function main(): Promise<number> {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      return 2
    }
    throw error
  }
  const running = await startServer(config)
  console.log(`Ironstar listening on ${running.url}`)
  const shutdown = async () => {
    await running.stop()
    process.exit(0)
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
  return -1
}

const code = await main()
if (code >= 0) process.exit(code)

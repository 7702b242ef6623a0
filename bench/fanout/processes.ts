// Starting the fan-out bench's child processes and talking to them, one JSON line at a time.
import type { Subprocess } from 'bun'

/** Returns a function that resolves to the stream's next line. */
function lines(stream: ReadableStream<Uint8Array>): () => Promise<string> {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  return async () => {
    for (;;) {
      const newline = buffer.indexOf('\n')
      if (newline >= 0) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        return line
      }
      const { done, value } = await reader.read()
      if (done) throw new Error('Cannot read from bench child: it exited')
      buffer += decoder.decode(value, { stream: true })
    }
  }
}

/** A fan-out server (server.ts): `ironstar` or `bare`, on an ephemeral port. */
export async function startFanoutServer(mode: 'ironstar' | 'bare') {
  const process = Bun.spawn(['bun', `${import.meta.dir}/server.ts`, mode], { stdout: 'pipe', stderr: 'inherit' })
  const { port } = JSON.parse(await lines(process.stdout)()) as { port: number }
  return { process, port }
}

/** The C receiver when it builds and runs here, else the JavaScript clients (see receiver.c for why). */
export async function pickClients(preferJs = false): Promise<{ script: string; native: boolean }> {
  const js = { script: `${import.meta.dir}/clients.ts`, native: false }
  if (preferJs) return js
  const probe = Bun.spawn(['bun', `${import.meta.dir}/native-clients.ts`], {
    stdin: 'pipe', // a pipe, as in the runs: the receiver waits on stdin with epoll
    stdout: 'ignore',
    stderr: 'inherit',
  })
  probe.stdin.write('close\n')
  probe.stdin.end()
  if ((await probe.exited) !== 0) return js
  return { script: `${import.meta.dir}/native-clients.ts`, native: true }
}

export interface ClientsProcess {
  readonly process: Subprocess<'pipe', 'pipe', 'inherit'>
  /** Sends one command line and resolves to its JSON answer. */
  ask<T>(command: string): Promise<T>
}

export function startClients(script: string): ClientsProcess {
  const process = Bun.spawn(['bun', script], { stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' })
  const next = lines(process.stdout)
  return {
    process,
    async ask<T>(command: string): Promise<T> {
      process.stdin.write(`${command}\n`)
      process.stdin.flush()
      return JSON.parse(await next()) as T
    },
  }
}

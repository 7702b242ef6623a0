// The compression alternatives the study compares, behind one shape: a fan-out of one feed
// (one view key) to `connections` connections, where every published event reaches every
// connection and `sink(connection, bytes)` receives what that connection's socket would be sent.
import {
  type BrotliCompress,
  constants,
  createBrotliCompress,
  createGzip,
  createZstdCompress,
  deflateRawSync,
  type Gzip,
  type ZstdCompress,
} from 'node:zlib'

export type Sink = (connection: number, bytes: Uint8Array) => void

export interface Fanout {
  /** Sends one event to every connection; resolves once all of its compressed bytes are out. */
  publish(event: Uint8Array): Promise<void>
  /**
   * A keep-alive comment for one connection, through its compression; resolves to the
   * connections that got it (a cohort's members share every byte, so all of them).
   */
  keepAlive(connection: number): Promise<number[]>
  /** A connection that opens now (it gets the next event whole, as a feed's first render). */
  join(): number
  close(): void
}

export interface Scheme {
  readonly name: string
  /** The Content-Encoding a browser sees. */
  readonly encoding: 'br' | 'gzip' | 'zstd'
  /** How many compressions one event costs. */
  readonly work: 'per connection' | 'per cohort' | 'per key'
  /** What zlib/brotli/zstd documents for one compressor's memory, for comparison with the measured. */
  readonly documented: string
  open(connections: number, sink: Sink): Fanout
}

const KEEP_ALIVE = new TextEncoder().encode(': keep-alive\n\n')
type Stream = BrotliCompress | Gzip | ZstdCompress

/** A stateful stream compressor flushed after every write, as `src/core/web/sse/compression.ts` does. */
function streaming(make: () => Stream) {
  return (connections: number, sink: Sink, cohortSize = 1): Fanout => {
    const cohorts: { stream: Stream; members: number[] }[] = []
    let count = 0
    let started = false
    const join = () => {
      const id = count++
      const last = cohorts.at(-1)
      // A cohort is fixed once it has sent: a later connection cannot pick up a stream halfway.
      if (last && last.members.length < cohortSize && !started) last.members.push(id)
      else {
        const stream = make()
        const cohort = { stream, members: [id] }
        stream.on('data', (chunk: Buffer) => {
          for (const member of cohort.members) sink(member, chunk)
        })
        cohorts.push(cohort)
      }
      return id
    }
    for (let i = 0; i < connections; i++) join()
    const write = (stream: Stream, bytes: Uint8Array) =>
      new Promise<void>((resolve) => stream.write(bytes, () => resolve()))
    return {
      publish: async (event) => {
        started = true
        await Promise.all(cohorts.map(({ stream }) => write(stream, event)))
      },
      keepAlive: async (connection) => {
        const cohort = cohorts.find((c) => c.members.includes(connection))
        if (!cohort) return []
        await write(cohort.stream, KEEP_ALIVE)
        return cohort.members
      },
      join,
      close: () => {
        for (const { stream } of cohorts) stream.destroy()
      },
    }
  }
}

const brotli = (quality: number, windowBits: number) => () =>
  createBrotliCompress({
    flush: constants.BROTLI_OPERATION_FLUSH,
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: quality,
      [constants.BROTLI_PARAM_LGWIN]: windowBits,
    },
  })
const gzip = (windowBits: number, memLevel: number) => () =>
  createGzip({ flush: constants.Z_SYNC_FLUSH, level: 6, windowBits, memLevel })
const zstd = (level: number, windowLog: number) => () =>
  createZstdCompress({
    flush: constants.ZSTD_e_flush,
    params: { [constants.ZSTD_c_compressionLevel]: level, [constants.ZSTD_c_windowLog]: windowLog },
  })

/** The ten-byte gzip header (no name, no time, unknown OS) each connection gets once. */
export const GZIP_HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff)
const WINDOW = 32 * 1024
const deflateBlock = (bytes: Uint8Array, dictionary?: Uint8Array) =>
  deflateRawSync(bytes, {
    level: 6,
    finishFlush: constants.Z_SYNC_FLUSH, // byte-aligned and never final: the stream goes on
    ...(dictionary ? { dictionary: dictionary.subarray(Math.max(0, dictionary.byteLength - WINDOW)) } : {}),
  })

/**
 * Raw deflate once per key: a "warm" block compressed with the previous event as preset
 * dictionary, valid for a connection whose last uncompressed bytes are exactly that event, and
 * a "cold" block with no dictionary for the rest (a join, a keep-alive since, a lag resync),
 * made only when someone needs it. Each connection's stream is a gzip header, then blocks.
 */
function presetDictionary(connections: number, sink: Sink): Fanout {
  const inStep: boolean[] = []
  const keepAliveBlock = deflateBlock(KEEP_ALIVE)
  let previous: Uint8Array | null = null
  const join = () => {
    inStep.push(false)
    sink(inStep.length - 1, GZIP_HEADER)
    return inStep.length - 1
  }
  for (let i = 0; i < connections; i++) join()
  return {
    publish: async (event) => {
      const warm = previous ? deflateBlock(event, previous) : null
      let cold: Uint8Array | null = null
      for (let c = 0; c < inStep.length; c++) {
        if (inStep[c] && warm) sink(c, warm)
        else {
          cold = cold ?? deflateBlock(event)
          sink(c, cold)
        }
        inStep[c] = true
      }
      previous = event
    },
    keepAlive: async (connection) => {
      sink(connection, keepAliveBlock)
      inStep[connection] = false // its window now ends with the comment, not the event
      return [connection]
    },
    join,
    close: () => {},
  }
}

export const SCHEMES: readonly Scheme[] = [
  {
    name: '1. br q3 w17 per connection (today)',
    encoding: 'br',
    work: 'per connection',
    documented: 'no formula; ring buffer 2^17 + q3 hash 2^16×4 B ≈ 0.4 MiB',
    open: (n, sink) => streaming(brotli(3, 17))(n, sink),
  },
  {
    name: '2a. gzip level 6, windowBits 15, memLevel 8 per connection',
    encoding: 'gzip',
    work: 'per connection',
    documented: '2^(15+2) + 2^(8+9) = 256 KiB (+ ~6 KiB state)',
    open: (n, sink) => streaming(gzip(15, 8))(n, sink),
  },
  {
    name: '2b. gzip level 6, windowBits 15, memLevel 1 per connection',
    encoding: 'gzip',
    work: 'per connection',
    documented: '2^17 + 2^10 = 129 KiB',
    open: (n, sink) => streaming(gzip(15, 1))(n, sink),
  },
  {
    name: '2c. gzip level 6, windowBits 10, memLevel 1 per connection',
    encoding: 'gzip',
    work: 'per connection',
    documented: '2^12 + 2^10 = 5 KiB',
    open: (n, sink) => streaming(gzip(10, 1))(n, sink),
  },
  {
    name: '3a. zstd level 3, window 2^17 per connection',
    encoding: 'zstd',
    work: 'per connection',
    documented: 'window 128 KiB + tables (ZSTD_estimateCStreamSize)',
    open: (n, sink) => streaming(zstd(3, 17))(n, sink),
  },
  {
    name: '3b. zstd level 3, window 2^19 per connection',
    encoding: 'zstd',
    work: 'per connection',
    documented: 'window 512 KiB + tables',
    open: (n, sink) => streaming(zstd(3, 19))(n, sink),
  },
  {
    name: '4. br q3 w17, cohorts of 50 sharing one compressor',
    encoding: 'br',
    work: 'per cohort',
    documented: 'scheme 1 ÷ 50',
    open: (n, sink) => streaming(brotli(3, 17))(n, sink, 50),
  },
  {
    name: '5. deflate once per key, previous event as dictionary',
    encoding: 'gzip',
    work: 'per key',
    documented: 'none per connection (an in-step flag); one event per key',
    open: presetDictionary,
  },
]

/**
 * Native memory by allocator, for the soak's columns. On Linux libduckdb carries its own jemalloc
 * under a prefix, invisible to glibc's statistics and, beyond the buffer manager's part, to
 * `duckdb_memory()`; its `mallctl` tells live bytes (`allocated`) from the pages it keeps
 * (`resident`). DuckDB's C++ objects (plans, catalog and transaction state) and the binding's
 * come from glibc's malloc, whose bytes in use `mallinfo2` tells. Each is null where its library
 * or symbol is not there (another platform or build).
 */

import { dlopen, FFIType, ptr } from 'bun:ffi'
import { createRequire } from 'node:module'

export interface AllocatorSample {
  /** Bytes DuckDB has allocated and not freed. */
  readonly allocatedBytes: number
  /** Physical pages jemalloc holds for DuckDB: allocated plus freed pages not yet given back. */
  readonly residentBytes: number
}

type Mallctl = (
  name: Buffer,
  out: BigUint64Array | null,
  outLength: BigUint64Array | null,
  value: BigUint64Array | null,
  valueLength: number,
) => number

function openMallctl(): Mallctl | null {
  try {
    const require = createRequire(import.meta.url)
    const library = require.resolve(`@duckdb/node-bindings-${process.platform}-${process.arch}/libduckdb.so`)
    const { symbols } = dlopen(library, {
      duckdb_je_mallctl: {
        args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64],
        returns: FFIType.i32,
      },
    })
    return (name, out, outLength, value, valueLength) =>
      symbols.duckdb_je_mallctl(
        ptr(name),
        out && ptr(out),
        outLength && ptr(outLength),
        value && ptr(value),
        valueLength,
      )
  } catch {
    return null
  }
}

const mallctl = openMallctl()

function read(name: string): number | null {
  if (!mallctl) return null
  const out = new BigUint64Array(1)
  return mallctl(Buffer.from(`${name}\0`), out, new BigUint64Array([8n]), null, 0) === 0 ? Number(out[0]) : null
}

export function duckdbAllocator(): AllocatorSample | null {
  if (!mallctl) return null
  // jemalloc's statistics are a snapshot taken when the epoch advances.
  mallctl(Buffer.from('epoch\0'), new BigUint64Array(1), new BigUint64Array([8n]), new BigUint64Array([1n]), 8)
  const allocatedBytes = read('stats.allocated')
  const residentBytes = read('stats.resident')
  return allocatedBytes === null || residentBytes === null ? null : { allocatedBytes, residentBytes }
}

const glibc = (() => {
  // mallinfo2's struct comes back through a hidden pointer passed as the first argument: x86-64 only.
  if (process.platform !== 'linux' || process.arch !== 'x64') return null
  try {
    return dlopen('libc.so.6', { mallinfo2: { args: [FFIType.ptr], returns: FFIType.ptr } }).symbols
  } catch {
    return null
  }
})()

/** Bytes glibc's malloc has handed out and not had back (small blocks plus mmapped ones). */
export function glibcInUse(): number | null {
  if (!glibc) return null
  // struct mallinfo2: ten size_t.
  const info = new BigUint64Array(10)
  glibc.mallinfo2(ptr(info))
  return Number((info[7] ?? 0n) + (info[4] ?? 0n))
}

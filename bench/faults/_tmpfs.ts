// A real full disk for the storage harness: a small tmpfs mounted on a fresh directory (root
// only), a filler file that takes every byte left on it, and the unmount that must always follow.
import { closeSync, mkdtempSync, openSync, rmdirSync, statfsSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Mounting was refused (not root, no CAP_SYS_ADMIN, a container without it): say so, do not fake it. */
export class TmpfsUnavailable extends Error {}

export interface Tmpfs {
  readonly dir: string
  readonly sizeMiB: number
}

export function mountTmpfs(sizeMiB: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'ironstar-tmpfs-'))
  const mount = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'tmpfs', dir], {
    stderr: 'pipe',
  })
  if (mount.exitCode !== 0) {
    rmdirSync(dir)
    const why = mount.stderr.toString().trim() || `mount exited with ${mount.exitCode}`
    throw new TmpfsUnavailable(
      `Cannot mount a tmpfs (${why}): this mode needs root or CAP_SYS_ADMIN; without them run bun bench/faults/storage.ts, which fills the disk with PRAGMA max_page_count`,
    )
  }
  return { dir, sizeMiB }
}

/** Unmounts (lazily if something still holds a file open) and removes the directory; never throws. */
export function unmountTmpfs(tmpfs: Tmpfs): string | null {
  for (const args of [
    ['umount', tmpfs.dir],
    ['umount', '-l', tmpfs.dir],
  ]) {
    if (Bun.spawnSync(args, { stderr: 'ignore' }).exitCode === 0) {
      rmdirSync(tmpfs.dir)
      return null
    }
  }
  return `Cannot unmount ${tmpfs.dir}: unmount it by hand`
}

export const freeBytes = (dir: string): number => {
  const { bavail, bsize } = statfsSync(dir)
  return bavail * bsize
}

const CHUNKS = [1 << 20, 64 << 10, 4 << 10, 512, 1]

/** Appends to `path` until the file system has no byte left; returns how many bytes it added. */
export function fillDisk(path: string): number {
  const fd = openSync(path, 'a')
  let written = 0
  try {
    for (const size of CHUNKS) {
      const chunk = Buffer.alloc(size, 0x78)
      for (;;) {
        try {
          written += writeSync(fd, chunk)
        } catch (error) {
          if ((error as { code?: string }).code === 'ENOSPC') break
          throw error
        }
      }
    }
  } finally {
    closeSync(fd)
  }
  return written
}

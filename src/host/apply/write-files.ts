import {closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, unlinkSync} from 'node:fs'
import path from 'node:path'

import {replaceFile, writeAll} from '../files/replace-file.js'
import type {HostRoot} from '../files/root.js'
import {checkFinal, makeDirsInRoot, resolveInRoot} from '../files/safe-path.js'

// File operations of apply and revert. Each takes the root and a path as seen inside it, and
// resolves it with safe-path (no `..`, no link out of a --root tree) right before using it.

/** c1m's own temporary names: `.NAME.c1m-PID.tmp`, beside the file (or directory) they become. */
export const TEMP_NAME = /^\.[^/]+\.c1m-\d+\.tmp$/
export const tempName = (file: string) => path.posix.join(path.posix.dirname(file), `.${path.posix.basename(file)}.c1m-${process.pid}.tmp`)

/** Final components are never followed in a sandbox. */
const noFollow = (root: HostRoot) => (root.live ? 0 : constants.O_NOFOLLOW)

/**
 * Replace a file atomically (replace-file.ts): write a temporary file beside it, flush it,
 * rename it over the target, flush the directory. A reader sees the old file or the new one, never
 * half of one. Missing directories
 * are created one at a time (callers record them first).
 */
export function writeFileAtomic(root: HostRoot, file: string, content: string | Buffer, mode = 0o644): void {
  const target = resolveInRoot(root, file)
  makeDirsInRoot(root, path.posix.dirname(file))
  replaceFile(target, content, {temp: resolveInRoot(root, tempName(file)), mode})
}

/** Write a file that must already exist, in place (a /proc/sys file: one write, no rename, never created). */
export function writeFileInPlace(root: HostRoot, file: string, content: string): void {
  // On the live root the file is the kernel's (/proc/sys: O_TRUNC is what it expects); under a
  // --root it is cut only once checked.
  const fd = openSync(resolveInRoot(root, file), constants.O_WRONLY | constants.O_NONBLOCK | (root.live ? constants.O_TRUNC : noFollow(root)))
  try {
    // Checked on the open descriptor before the file is cut: a FIFO or a second hard link
    // swapped in after resolveInRoot is refused here.
    const stat = fstatSync(fd)
    checkFinal(root, file, stat)
    if (!stat.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), {code: 'EISDIR'})
    if (!root.live) ftruncateSync(fd, 0)
    writeAll(fd, Buffer.from(content))
  } finally {
    closeSync(fd)
  }
}

/** A regular file's bytes, or null when there is none. */
export function readFileOrNull(root: HostRoot, file: string): Buffer | null {
  let fd: number
  try {
    // O_NONBLOCK: a FIFO in the tree opens at once (and is refused below) instead of waiting for
    // a writer forever.
    fd = openSync(resolveInRoot(root, file), constants.O_RDONLY | constants.O_NONBLOCK | noFollow(root))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  try {
    const stat = fstatSync(fd)
    checkFinal(root, file, stat)
    if (!stat.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), {code: 'EISDIR'})
    return readFileSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Remove a file (never a directory); a missing one is fine. */
export function removeFile(root: HostRoot, file: string): void {
  const full = resolveInRoot(root, file)
  try {
    if (lstatSync(full).isDirectory()) throw new Error(`${file} is a directory, not the file c1m wrote`)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  unlinkSync(full)
}

/** Remove a directory c1m created, if it is empty again. */
export function removeDirIfEmpty(root: HostRoot, dir: string): void {
  try {
    rmdirSync(resolveInRoot(root, dir))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw error
  }
}

/**
 * Remove what an apply killed part way left behind: entries named like c1m's temporary files
 * (TEMP_NAME) in the given directories of the target, and nothing else. Run under the lock,
 * so no other c1m is writing them. Returns what it removed (paths inside the root).
 */
export function removeStaleTemps(root: HostRoot, dirs: string[]): string[] {
  const removed: string[] = []
  for (const dir of dirs) {
    let names: string[]
    try {
      names = readdirSync(resolveInRoot(root, dir))
    } catch {
      continue
    }
    for (const name of names.filter((n) => TEMP_NAME.test(n))) {
      const inside = path.posix.join(dir, name)
      const full = resolveInRoot(root, inside)
      // rmSync removes links themselves, never what they point to.
      rmSync(full, {recursive: lstatSync(full).isDirectory(), force: true})
      removed.push(inside)
    }
  }
  return removed
}

/** A write that failed, in words (no raw Node error reaches the user). */
export function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EPERM') return 'EPERM, not permitted (an immutable file or directory? see lsattr)'
  if (code === 'EROFS') return 'EROFS, a read-only file system'
  if (code === 'EACCES') return 'EACCES, permission denied'
  if (code === 'ENOSPC') return 'ENOSPC, no space left'
  if (code === 'EISDIR' || code === 'ENOTDIR') return `${code}, a directory where a file should be (or the reverse)`
  return (error as Error).message
}

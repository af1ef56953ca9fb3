import {closeSync, constants, fsyncSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'
import path from 'node:path'

/**
 * Flush a directory's entries (a rename or a new name in it) to disk. Best effort: some filesystems
 * refuse it.
 */
export function syncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)
    fsyncSync(fd)
  } catch {
    // A directory that cannot be opened or synced (some FUSE and network filesystems): the rename
    // itself stands.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * Write every byte of `bytes` to `fd`, looping over short counts (a nearly full filesystem
 * returns one). A write that makes no progress is ENOSPC; any error propagates. Never leaves
 * a count unchecked.
 */
export function writeAll(fd: number, bytes: Buffer): void {
  let done = 0
  for (let tries = 0; done < bytes.length; tries++) {
    const n = writeSync(fd, bytes, done, bytes.length - done)
    if (n <= 0 || tries > 1_000_000) throw Object.assign(new Error(`short write: ${done} of ${bytes.length} bytes`), {code: 'ENOSPC'})
    done += n
  }
}

/**
 * Replace a file whole or not at all, the one way c1m does it: a temporary file beside the
 * target (created exclusively, never through a link), written, fsynced, renamed over the
 * target, then the directory fsynced so the rename survives a crash. A reader sees the old
 * file or the new one. The temporary file is removed on failure. `temp`: its name, when the
 * caller's cleanup must recognise it (apply's `.NAME.c1m-PID.tmp`).
 */
export function replaceFile(file: string, content: string | Buffer, options: {temp?: string; mode?: number} = {}): void {
  const temp = options.temp ?? path.join(path.dirname(file), `.${path.basename(file)}.c1m-${process.pid}.tmp`)
  rmSync(temp, {force: true})
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, options.mode ?? 0o644)
    try {
      writeAll(fd, typeof content === 'string' ? Buffer.from(content) : content)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temp, file)
  } catch (error) {
    rmSync(temp, {force: true})
    throw error
  }
  syncDir(path.dirname(file))
}

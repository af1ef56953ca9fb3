import {closeSync, constants, fstatSync, openSync, readFileSync, type Stats, statSync} from 'node:fs'

/**
 * Why a file or directory cannot be trusted by a process running as `uid` (c1m runs as root):
 * another user owns it, or its group or others may write it. Undefined when it can be trusted.
 */
export function distrustReason(stats: Pick<Stats, 'uid' | 'mode'>, what: string, uid: number): string | undefined {
  if (stats.uid !== uid) return `${what} is owned by uid ${stats.uid}, not by this user (uid ${uid})`
  if (stats.mode & 0o002) return `${what} is writable by every user`
  if (stats.mode & 0o020) return `${what} is writable by its group`
  return undefined
}

/** Why the directory `dir` cannot be trusted, or undefined. */
export function distrustDirectory(dir: string, uid: number): string | undefined {
  return distrustReason(statSync(dir), `the directory ${dir}`, uid)
}

/**
 * Read a regular file that `uid` owns and nobody else may write, without following a symlink;
 * the checks and the read use one open descriptor. Returns the text, or why it was refused.
 */
export function readTrustedFile(file: string, uid: number): {text: string; mtimeMs: number} | {refused: string} {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return {refused: code === 'ELOOP' ? 'it is a symbolic link' : `it cannot be read (${code})`}
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) return {refused: 'it is not a regular file'}
    const why = distrustReason(stats, 'it', uid)
    if (why) return {refused: why}
    return {text: readFileSync(fd, 'utf8'), mtimeMs: stats.mtimeMs}
  } finally {
    closeSync(fd)
  }
}

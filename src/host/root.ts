import {closeSync, constants, openSync, readFileSync, readSync, statSync} from 'node:fs'
import path from 'node:path'

import {C1mError} from '../errors.js'

/** Where host readers look: `/` for the live host, or a saved tree (`c1m snapshot DIR`). */
export interface HostRoot {
  dir: string
  live: boolean
}

export type ReadResult = {ok: true; text: string} | {ok: false; reason: string}

export function hostRoot(dir = '/'): HostRoot {
  const resolved = path.resolve(dir)
  let isDir = false
  try {
    isDir = statSync(resolved).isDirectory()
  } catch {
    throw new C1mError('E_BAD_ROOT', `--root ${dir} does not exist`, 'pass a directory written by `c1m snapshot DIR`, or leave --root out to audit this host')
  }
  if (!isDir) throw new C1mError('E_BAD_ROOT', `--root ${dir} is not a directory`, 'pass a directory written by `c1m snapshot DIR`')
  return {dir: resolved, live: resolved === '/'}
}

/** The path of a host file (given as an absolute host path) under the root. */
export function hostPath(root: HostRoot, file: string): string {
  return path.join(root.dir, file)
}

export function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'not present'
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  if (code === 'EISDIR') return 'is a directory'
  return (error as Error).message
}

/** Read a host text file; a missing or unreadable file is a reason, never a throw. */
export function readHostText(root: HostRoot, file: string): ReadResult {
  try {
    return {ok: true, text: readFileSync(hostPath(root, file), 'utf8')}
  } catch (error) {
    return {ok: false, reason: `${file}: ${describeReadError(error)}`}
  }
}

/**
 * Read a character device such as /dev/kmsg without blocking: records until EAGAIN.
 * In a saved tree the same path is a plain file, which reads the same way.
 */
export function readNonBlocking(root: HostRoot, file: string, maxBytes = 16 * 1024 * 1024): ReadResult {
  let fd: number
  try {
    fd = openSync(hostPath(root, file), constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    return {ok: false, reason: `${file}: ${describeReadError(error)}`}
  }
  const chunks: string[] = []
  const buffer = Buffer.alloc(8192)
  let total = 0
  try {
    while (total < maxBytes) {
      let n: number
      try {
        n = readSync(fd, buffer, 0, buffer.length, null)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'EAGAIN') break
        if (code === 'EPIPE') continue // a record was overwritten while reading; the next read resumes
        return {ok: false, reason: `${file}: ${describeReadError(error)}`}
      }
      if (n === 0) break
      chunks.push(buffer.toString('utf8', 0, n))
      // /dev/kmsg returns one record per read; a plain file returns what fits.
      if (!chunks.at(-1)!.endsWith('\n')) chunks.push('\n')
      total += n
    }
  } finally {
    closeSync(fd)
  }
  return {ok: true, text: chunks.join('').replaceAll('\n\n', '\n')}
}

import {closeSync, constants, fstatSync, openSync, readSync, statSync} from 'node:fs'
import path from 'node:path'

import {C1mError} from '../core/errors.js'

/** Where host readers look: `/` for the live host, or a saved tree (`c1m snapshot DIR`). */
export interface HostRoot {
  dir: string
  live: boolean
}

export type ReadResult = {ok: true; text: string} | {ok: false; reason: string}

export function hostRoot(dir = '/'): HostRoot {
  if (dir.trim() === '') throw new C1mError('E_BAD_ROOT', '--root is empty', 'pass a directory written by `c1m snapshot DIR`, or leave --root out to audit this host')
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

/**
 * A root that readers audit (doctor, estimate, snapshot --root): besides hostRoot's checks, a saved
 * tree must hold proc/sys, or every check would skip and an empty directory would look "Ready".
 */
export function hostTree(dir = '/'): HostRoot {
  const root = hostRoot(dir)
  if (root.live) return root
  let hasSys = false
  try {
    hasSys = statSync(path.join(root.dir, 'proc/sys')).isDirectory()
  } catch {
    hasSys = false
  }
  if (!hasSys) throw new C1mError('E_BAD_ROOT', `--root ${dir} has no proc/sys: it is not a saved host tree`, 'write one with `c1m snapshot DIR` on the host to audit, or leave --root out to audit this host')
  return root
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

/**
 * The most an ordinary host file may hold: /proc/slabinfo and /proc/meminfo are a few KiB to a
 * few hundred KiB, so anything past 4 MiB is not the file doctor expects (a link to /dev/urandom
 * in a saved tree, say) and is a read failure, not a hang. /dev/kmsg and /proc/net/tcp have their own caps.
 */
export const READ_CAP = 4 * 1024 * 1024

/** One buffer for every read: reads are synchronous, so it is never shared between two at once. */
const CHUNK = Buffer.allocUnsafe(64 * 1024)

/**
 * Read a host file in chunks, handing each to `take`, with a bounded loop: at most `maxBytes`.
 * Opens without blocking (a FIFO in a saved tree must not hang) and refuses what is not a regular file.
 */
export function readHostChunks(root: HostRoot, file: string, take: (chunk: string) => void, maxBytes = READ_CAP): {ok: true} | {ok: false; reason: string} {
  let fd: number
  try {
    fd = openSync(hostPath(root, file), constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    return {ok: false, reason: `${file}: ${describeReadError(error)}`}
  }
  try {
    const stat = fstatSync(fd)
    if (stat.isDirectory()) return {ok: false, reason: `${file}: is a directory`}
    if (!stat.isFile()) return {ok: false, reason: `${file}: not a regular file`}
    const buffer = CHUNK
    const decoder = new TextDecoder('utf8')
    let total = 0
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null)
      if (n === 0) break
      total += n
      if (total > maxBytes) return {ok: false, reason: `${file}: larger than ${maxBytes / 1024 / 1024} MiB, the most c1m reads of it`}
      take(decoder.decode(buffer.subarray(0, n), {stream: true}))
    }
    take(decoder.decode())
    return {ok: true}
  } catch (error) {
    return {ok: false, reason: `${file}: ${describeReadError(error)}`}
  } finally {
    closeSync(fd)
  }
}

/**
 * Read a host text file (at most `maxBytes`); a missing, unreadable or oversized file is a reason,
 * never a throw.
 */
export function readHostText(root: HostRoot, file: string, maxBytes = READ_CAP): ReadResult {
  const parts: string[] = []
  const result = readHostChunks(root, file, (chunk) => parts.push(chunk), maxBytes)
  return result.ok ? {ok: true, text: parts.join('')} : result
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

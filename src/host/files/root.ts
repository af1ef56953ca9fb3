import {closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, realpathSync, statSync} from 'node:fs'
import path from 'node:path'

import {cleanText} from '../../core/clean-text.js'
import {C1mError} from '../../core/errors.js'

/** Where host readers look: `/` for the live host, or a saved tree (`c1m snapshot DIR`). */
export interface HostRoot {
  dir: string
  live: boolean
}

/**
 * What a read gives: the text (cleaned of control characters) and the file's permission bits, or
 * why not; `refused`: the file is there but a saved tree may not hold it (a link, a hard link).
 */
export type ReadResult = {ok: true; text: string; mode?: number} | ReadFailure
export type ReadFailure = {ok: false; reason: string; refused?: true}

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

type Opened = {ok: true; fd: number} | ReadFailure

const NONE_SAVED = 'a saved tree has none'

function inside(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith('/') ? dir : `${dir}/`)
}

/**
 * Open a host file to read it, without blocking (a FIFO must not hang). On the live root links are
 * the host's own. Under a saved tree nothing leads out of it: no component of the path may be a
 * symbolic link (each is checked with lstat, the last opened with O_NOFOLLOW), the file the kernel
 * opened must lie inside the tree (its name in /proc/self/fd closes the gap between check and
 * open), and a regular file with more than one hard link is refused: its other name may be
 * outside. `c1m snapshot` writes neither links nor hard links, so a link is a read failure.
 */
export function openHostFile(root: HostRoot, file: string): Opened {
  const full = hostPath(root, file)
  const failed = (error: unknown): Opened => ({ok: false, reason: `${file}: ${describeReadError(error)}`})
  if (root.live) {
    try {
      return {ok: true, fd: openSync(full, constants.O_RDONLY | constants.O_NONBLOCK)}
    } catch (error) {
      return failed(error)
    }
  }
  const parts = path.relative(root.dir, full).split('/').filter(Boolean)
  if (parts[0] === '..') return {ok: false, reason: `${file}: leaves ${root.dir}`}
  let at = root.dir
  for (const [i, part] of parts.entries()) {
    at = path.join(at, part)
    try {
      if (lstatSync(at).isSymbolicLink()) return {ok: false, reason: `${file}: ${i === parts.length - 1 ? '' : `/${parts.slice(0, i + 1).join('/')} `}is a symbolic link; ${NONE_SAVED}`, refused: true}
    } catch (error) {
      return failed(error)
    }
  }
  let fd: number
  try {
    fd = openSync(full, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ELOOP' ? {ok: false, reason: `${file}: is a symbolic link; ${NONE_SAVED}`, refused: true} : failed(error)
  }
  const refuse = (reason: string, refused = true): Opened => {
    closeSync(fd)
    return {ok: false, reason: `${file}: ${reason}`, ...(refused ? {refused: true as const} : {})}
  }
  try {
    const stat = fstatSync(fd)
    if (stat.isFile() && stat.nlink > 1) return refuse(`has ${stat.nlink} hard links; ${NONE_SAVED}`)
    if (!inside(readlinkSync(`/proc/self/fd/${fd}`), realpathSync(root.dir))) return refuse(`was opened outside ${root.dir} (a link swapped in while reading)`)
  } catch (error) {
    return refuse(describeReadError(error), false)
  }
  return {ok: true, fd}
}

/**
 * The names in a host directory. Under a saved tree the directory is checked as a file is (no link
 * on its path): a link is a failure with its reason, so no name of a directory outside is listed.
 */
export function listHostDir(root: HostRoot, dir: string): {ok: true; names: string[]} | ReadFailure {
  const opened = openHostFile(root, dir)
  if (!opened.ok) return opened
  closeSync(opened.fd)
  try {
    return {ok: true, names: readdirSync(hostPath(root, dir))}
  } catch (error) {
    return {ok: false, reason: `${dir}: ${describeReadError(error)}`}
  }
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
export function readHostChunks(root: HostRoot, file: string, take: (chunk: string) => void, maxBytes = READ_CAP): {ok: true; mode: number} | ReadFailure {
  const opened = openHostFile(root, file)
  if (!opened.ok) return opened
  const {fd} = opened
  try {
    const stat = fstatSync(fd)
    if (stat.isDirectory()) return {ok: false, reason: `${file}: is a directory`}
    if (!stat.isFile()) return {ok: false, reason: `${file}: not a regular file`}
    const buffer = CHUNK
    const decoder = new TextDecoder('utf8')
    let total = 0
    // A CR at a chunk's end waits for the next chunk: CRLF is a line end, a lone CR a control.
    let pending = ''
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null)
      if (n === 0) break
      total += n
      if (total > maxBytes) return {ok: false, reason: `${file}: larger than ${maxBytes / 1024 / 1024} MiB, the most c1m reads of it`}
      const text = pending + decoder.decode(buffer.subarray(0, n), {stream: true})
      pending = text.endsWith('\r') ? '\r' : ''
      take(cleanText(pending ? text.slice(0, -1) : text))
    }
    take(cleanText(pending + decoder.decode()))
    return {ok: true, mode: stat.mode & 0o7777}
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
  return result.ok ? {ok: true, text: parts.join(''), mode: result.mode} : result
}

/**
 * Read a character device such as /dev/kmsg without blocking: records until EAGAIN.
 * In a saved tree the same path is a plain file, which reads the same way.
 */
export function readNonBlocking(root: HostRoot, file: string, maxBytes = 16 * 1024 * 1024): ReadResult {
  const opened = openHostFile(root, file)
  if (!opened.ok) return opened
  const {fd} = opened
  const chunks: string[] = []
  const buffer = Buffer.alloc(8192)
  let total = 0
  let mode = 0
  try {
    // In a saved tree /dev/kmsg is a plain file (snapshot writes one); anything else is not it.
    const stat = fstatSync(fd)
    mode = stat.mode & 0o7777
    if (!root.live && !stat.isFile()) return {ok: false, reason: `${file}: not a regular file`}
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
  return {ok: true, text: cleanText(chunks.join('').replaceAll('\n\n', '\n')), mode}
}

import {lstatSync, mkdirSync, realpathSync, type Stats, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {C1mError} from '../../core/errors.js'

/**
 * Where c1m keeps what it builds: $XDG_CACHE_HOME/c1m when that is an absolute path (the XDG
 * base directory rule: a relative one is ignored), else ~/.cache/c1m.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'c1m')
}

const euid = (): number => process.geteuid?.() ?? -1

/**
 * Why a directory or file (as lstat sees it) is not the running user's alone to write; undefined
 * when it is.
 */
function whyNotPrivate(stat: Stats, kind: 'directory' | 'file'): string | undefined {
  if (stat.isSymbolicLink()) return 'is a symbolic link'
  if (kind === 'directory' ? !stat.isDirectory() : !stat.isFile()) return `is not a ${kind}`
  if (stat.uid !== euid()) return `is owned by uid ${stat.uid}, not by uid ${euid()} running c1m`
  if ((stat.mode & 0o022) !== 0) return `can be written by ${stat.mode & 0o002 ? 'other users' : 'its group'} (mode ${(stat.mode & 0o7777).toString(8)})`
  return undefined
}

/**
 * Every directory above `dir` must be root's or the user's, and writable by no one else unless
 * sticky (as /tmp is): otherwise another user could rename the private directory away and put
 * one of theirs in its place. Checked along the path as written and along its real path.
 */
function assertSafeAncestors(dir: string): void {
  const chains = [dir, realpathSync(dir)].map((p) => p.split(path.sep).filter(Boolean).map((_, i, parts) => path.sep + parts.slice(0, i + 1).join(path.sep)))
  for (const ancestor of ['/', ...chains.flat()]) {
    const stat = statSync(ancestor)
    const shared = (stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0
    if ((stat.uid !== 0 && stat.uid !== euid()) || shared) {
      throw new C1mError('E_UNSAFE_PATH', `${ancestor}, above c1m's build directory, ${shared ? `can be written by other users (mode ${(stat.mode & 0o7777).toString(8)})` : `is owned by uid ${stat.uid}`}: c1m will not run programs from under it`, 'set XDG_CACHE_HOME to an absolute path of a directory of your own (as root: sudo -H, or XDG_CACHE_HOME=/root/.cache)')
    }
  }
}

/**
 * Create `dir` (and its missing parents) with mode 0700 and check that it is the running user's
 * own, a real directory, and writable by no one else, nor any directory above it: c1m runs
 * what it builds there as root.
 */
export function ensurePrivateDir(dir: string): string {
  if (!path.isAbsolute(dir)) throw new C1mError('E_UNSAFE_PATH', `the build directory ${dir} is not an absolute path`, 'set XDG_CACHE_HOME to an absolute path')
  try {
    mkdirSync(dir, {recursive: true, mode: 0o700})
  } catch (error) {
    throw new C1mError('E_UNREADABLE', `cannot create c1m's build directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'set XDG_CACHE_HOME to a writable directory of your own')
  }
  assertSafeAncestors(path.dirname(dir))
  const why = whyNotPrivate(lstatSync(dir), 'directory')
  if (why) {
    throw new C1mError('E_UNSAFE_PATH', `c1m's build directory ${dir} ${why}: c1m will not run programs from it`, `remove it (c1m makes a new one, mode 0700), or set XDG_CACHE_HOME to a directory of your own`)
  }
  return dir
}

/**
 * Check a file c1m is about to execute: a regular file (not a link) of the running user, writable
 * by no one else.
 */
export function assertPrivateFile(file: string): void {
  const why = whyNotPrivate(lstatSync(file), 'file')
  if (why) throw new C1mError('E_UNSAFE_PATH', `the probe program ${file} ${why}: c1m will not run it`, `delete it; c1m builds it again`)
}

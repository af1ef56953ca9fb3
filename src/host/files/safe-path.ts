import {lstatSync, mkdirSync, realpathSync, type Stats} from 'node:fs'
import path from 'node:path'

import {C1mError} from '../../core/errors.js'
import type {HostRoot} from './root.js'

// Every path apply and revert read for a write, write, delete or create goes through here.
//
// Under --root DIR (a sandbox tree) no path may leave DIR: the path must be absolute and
// normalised (no `..`), and every component that exists is checked with lstat and refused
// if it is a symbolic link, whatever it points to. A link's target means something else in
// an image tree than on this host, and a link that stays inside today can be swapped for one
// that leaves tomorrow; `c1m snapshot` writes none, so refusing all of them costs nothing.
// The root itself is resolved once (a --root that is a link is the user's own choice).
//
// On the live root `/`, links are the host's own business (/etc/sysctl.d may be one, placed
// by configuration management): they are followed, and only the `..` rule applies. The
// files c1m writes are still replaced by rename, which replaces a link, never writes through it.
//
// What this cannot close: a process that can write inside the sandbox while apply runs could
// swap a checked directory for a link between the check and the use (Node has no openat);
// final components are opened with O_NOFOLLOW, which closes it for the file itself.

function refuse(root: HostRoot, file: string, why: string): C1mError {
  return new C1mError('E_BAD_ROOT', `${file} under ${root.dir} ${why}; nothing is written through it`, 'c1m does not follow links in a --root tree: replace the link with a real directory or file, or pass the directory it points to as --root')
}

/** The root's directory with links resolved, once. */
export function rootDir(root: HostRoot): string {
  return root.live ? '/' : realpathSync(root.dir)
}

/** Is this an absolute, normalised path with no `.` or `..` part (a path as apply records it)? */
export function isCleanPath(file: unknown): file is string {
  return typeof file === 'string' && file.startsWith('/') && file.length < 4096 && !file.includes('\0') && path.posix.normalize(file) === file && !file.split('/').some((p) => p === '.' || p === '..')
}

/**
 * The host path of `file` (an absolute path as seen inside the root), checked: it stays under
 * the root, and in a sandbox no existing component of it is a link. Missing components are
 * fine (they are created with makeDirsInRoot).
 */
export function resolveInRoot(root: HostRoot, file: string): string {
  if (!isCleanPath(file)) throw refuse(root, JSON.stringify(file), 'is not an absolute, normalised path')
  const base = rootDir(root)
  const full = path.join(base, file)
  if (full !== base && !full.startsWith(base.endsWith('/') ? base : `${base}/`)) throw refuse(root, file, 'leaves the root')
  if (root.live) return full
  let at = base
  for (const part of file.split('/').filter(Boolean)) {
    at = path.join(at, part)
    let stat
    try {
      stat = lstatSync(at)
    } catch {
      return full // the rest does not exist yet
    }
    if (stat.isSymbolicLink()) throw refuse(root, file, `goes through a symbolic link (${path.relative(base, at)})`)
    if (at === full) checkFinal(root, file, stat)
  }
  return full
}

function unsafe(root: HostRoot, file: string, why: string, what: string): C1mError {
  return new C1mError('E_UNSAFE_PATH', `${file} under ${root.dir} ${why}; nothing was changed`, what)
}

/**
 * What apply and revert read, write or replace under a --root is a directory or a regular
 * file of its own: a FIFO would hang the open, a device or socket is nothing c1m wrote, and a
 * file with a second hard link may be the same inode as a file outside the tree (a write in
 * place, a /proc/sys file, would go through to it; a saved tree has no hard links).
 */
export function checkFinal(root: HostRoot, file: string, stat: Pick<Stats, 'nlink' | 'isFile' | 'isDirectory'>): void {
  if (root.live) return
  if (stat.isFile() && stat.nlink > 1) throw unsafe(root, file, `has ${stat.nlink} hard links (it may be a file outside the tree)`, 'replace it with a copy of its own (cp FILE FILE.new && mv FILE.new FILE), then run this again')
  if (!stat.isFile() && !stat.isDirectory()) throw unsafe(root, file, 'is not a regular file (a FIFO, socket or device)', 'remove it or put a regular file in its place, then run this again')
}

/**
 * `mkdir -p` one component at a time, each checked as resolveInRoot checks it; a component
 * that appears as anything but a directory is refused. Returns the directories it created
 * (paths inside the root), outermost first.
 */
export function makeDirsInRoot(root: HostRoot, dir: string): string[] {
  resolveInRoot(root, dir)
  const base = rootDir(root)
  const created: string[] = []
  let inside = ''
  for (const part of dir.split('/').filter(Boolean)) {
    inside = `${inside}/${part}`
    const at = path.join(base, inside)
    try {
      mkdirSync(at, 0o755)
      created.push(inside)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const stat = lstatSync(at)
    if (stat.isSymbolicLink() && !root.live) throw refuse(root, dir, `goes through a symbolic link (${inside})`)
    if (!stat.isDirectory() && !(root.live && stat.isSymbolicLink())) throw refuse(root, dir, `has ${inside}, which is not a directory`)
  }
  return created
}

/** The directories `makeDirsInRoot` would create, outermost first, without creating them. */
export function missingDirsInRoot(root: HostRoot, dir: string): string[] {
  resolveInRoot(root, dir)
  const base = rootDir(root)
  const missing: string[] = []
  let inside = ''
  for (const part of dir.split('/').filter(Boolean)) {
    inside = `${inside}/${part}`
    try {
      lstatSync(path.join(base, inside))
    } catch {
      missing.push(inside)
    }
  }
  return missing
}

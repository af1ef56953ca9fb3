import {lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import {C1mError, usageError} from '../../core/errors.js'
import {isPidAlive} from '../read/pid-alive.js'

/** Kernel filesystems a snapshot must never be written into: mkdir there fails oddly or loops. */
const REFUSED = ['/proc', '/sys', '/dev']
/** More path components than any real directory tree has: the bound of every walk here. */
const MAX_DEPTH = 256

function under(file: string, dir: string): boolean {
  return file === dir || file.startsWith(`${dir}/`)
}

function statOrUndefined(file: string) {
  try {
    return statSync(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'ENOTDIR') return 'under-a-file' as const
    throw error
  }
}

/** The nearest ancestor of `target` (itself included) that exists, and the missing parts below it. */
function nearestExisting(target: string): {existing: string; missing: string[]} {
  const missing: string[] = []
  let at = target
  for (let i = 0; i < MAX_DEPTH; i++) {
    const stat = statOrUndefined(at)
    if (stat !== undefined && stat !== 'under-a-file') return {existing: at, missing}
    missing.unshift(path.basename(at))
    at = path.dirname(at)
  }
  throw usageError(`${target} is more than ${MAX_DEPTH} directories deep`)
}

/**
 * Check where `c1m snapshot DIR` may write, before it writes anything: a new or empty directory whose
 * nearest existing ancestor is a directory, not under /proc, /sys or /dev (followed through symlinks).
 * Returns the absolute target. Every problem is one usage error (exit 2).
 */
export function checkSnapshotTarget(dir: string): string {
  if (dir.trim() === '') throw usageError('the snapshot directory is empty', 'pass a new directory name')
  try {
    return checkTarget(dir)
  } catch (error) {
    if (error instanceof C1mError) throw error
    // EACCES, ELOOP and the like: still one line, and nothing written
    throw usageError(`cannot write a snapshot to ${dir}: ${(error as Error).message}`, 'pass a new directory you can write')
  }
}

function checkTarget(dir: string): string {
  const target = path.resolve(dir)
  const {existing, missing} = nearestExisting(target)
  const real = path.join(realpathSync(existing), ...missing)
  const refused = REFUSED.find((d) => under(target, d) || under(real, d))
  if (refused) throw usageError(`${dir} is under ${refused}, a kernel filesystem, not a place for files`, 'pass a new directory on disk, such as ./host-a')
  if (!statSync(existing).isDirectory()) {
    const what = missing.length === 0 ? `${dir} is a file, not a directory` : `${existing} is a file, so ${dir} cannot be a directory under it`
    throw usageError(what, 'pass a new directory name')
  }
  if (missing.length === 0 && readdirSync(target).length > 0) throw usageError(`${dir} already exists and is not empty`, 'pass a new directory name')
  return target
}

/** Create `dir` and its missing parents, one level at a time (a bounded loop, unlike mkdir -p on procfs). */
export function makeDirs(dir: string): void {
  const {missing, existing} = nearestExisting(path.resolve(dir))
  let at = existing
  for (const part of missing) {
    at = path.join(at, part)
    mkdirSync(at)
  }
  if (!lstatSync(at).isDirectory()) throw usageError(`${dir} is not a directory`)
}

/**
 * The temporary directory a snapshot fills before renaming it into place: made with mkdtemp beside
 * the target (DIR.partial-PID-XXXXXX, mode 0700), so it is new, ours and private; a directory that
 * another user made there beforehand is never adopted.
 */
export function makeSnapshotTemp(target: string): string {
  makeDirs(path.dirname(target))
  return mkdtempSync(`${target}.partial-${process.pid}-`)
}

/**
 * Remove what a killed snapshot to the same target left (DIR.partial-PID, DIR.partial-PID-XXXXXX):
 * only directories (not links) that this user owns and whose PID is no longer running.
 * Returns the names removed.
 */
export function sweepSnapshotTemps(target: string): string[] {
  const parent = path.dirname(target)
  const pattern = new RegExp(`^${path.basename(target).replaceAll(/[$()*+.?[\\\]^{|}]/g, '\\$&')}\\.partial-(\\d+)(-[\\w]+)?$`)
  const removed: string[] = []
  let names: string[]
  try {
    names = readdirSync(parent)
  } catch {
    return removed
  }
  for (const name of names) {
    const pid = pattern.exec(name)?.[1]
    if (pid === undefined || Number(pid) === process.pid || isPidAlive(Number(pid))) continue
    const stat = lstatSync(path.join(parent, name), {throwIfNoEntry: false})
    if (!stat?.isDirectory() || stat.uid !== process.getuid?.()) continue
    rmSync(path.join(parent, name), {recursive: true, force: true})
    removed.push(name)
  }
  return removed
}

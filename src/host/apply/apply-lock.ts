import {closeSync, constants, lstatSync, openSync} from 'node:fs'

import {spawnSync} from 'node:child_process'

import {HOLDER_FILE, STATE_DIR} from '../../core/profile/apply-state.js'
import {C1mError} from '../../core/errors.js'
import type {HostRoot} from '../files/root.js'
import {resolveInRoot, rootDir} from '../files/safe-path.js'
import {readFileOrNull, removeFile, writeFileAtomic} from './write-files.js'

// Apply and revert on one target run one at a time.
//
// The lock is flock(2) on the target's root directory, taken by flock(1) from util-linux (spawned
// with an argument array) on a descriptor this process opened and lends it (Node has no flock). A
// flock belongs to the
// open file description, so it stays held after the helper exits and is released by the
// kernel when this process ends, however it ends: kill -9 leaves no stale lock, no PID to
// second-guess and no lock file to clean up (an O_EXCL file would need all of that, and a PID
// can be reused). Node opens files close-on-exec, so no child (ip, tee) inherits it. The root
// directory is locked rather than a file in /var/lib/c1m because it always exists: locking a
// file there would mean creating its directories before holding the lock.
//
// Who holds it is written to /var/lib/c1m/lock (pid, command, since) once that directory
// exists, for the message of the one that has to wait.

export interface TargetLock {
  /** Write who holds the lock, once the state directory exists. */
  announce(): void
  release(): void
}

interface Holder {
  pid: number
  command: string
  since: string
}

function describeHolder(root: HostRoot): string {
  let holder: Holder | undefined
  try {
    const parsed = JSON.parse(readFileOrNull(root, HOLDER_FILE)?.toString('utf8') ?? 'null') as Holder | null
    if (parsed && Number.isSafeInteger(parsed.pid)) holder = parsed
  } catch {
    holder = undefined
  }
  if (!holder) return 'another c1m (it has not written who it is yet)'
  return `PID ${holder.pid} (${String(holder.command).slice(0, 200)}), since ${String(holder.since).slice(0, 40)}`
}

/** Take the lock on the target or stop with E_LOCKED naming who holds it. */
export function lockTarget(root: HostRoot, command: string): TargetLock {
  const fd = openSync(rootDir(root), constants.O_RDONLY | constants.O_DIRECTORY)
  // No shell; flock -n returns at once. (execa's types do not take a descriptor as an extra stdio.)
  const flock = spawnSync('flock', ['--nonblock', '--exclusive', '--conflict-exit-code', '75', '3'], {stdio: ['ignore', 'ignore', 'pipe', fd], encoding: 'utf8', timeout: 10_000})
  if (flock.status !== 0) {
    closeSync(fd)
    if (flock.status === 75) {
      throw new C1mError('E_LOCKED', `${root.live ? 'this host' : root.dir} is locked by another apply or revert: ${describeHolder(root)}; nothing was changed`, 'wait for it to finish, then run this again')
    }
    const why = (flock.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? 'flock(1) from util-linux is not installed' : flock.stderr?.trim() || `flock exited ${flock.status}`
    throw new C1mError('E_RUNTIME', `cannot lock ${root.dir}: ${why}; nothing was changed`, 'install util-linux')
  }
  const me: Holder = {pid: process.pid, command, since: new Date().toISOString()}
  let announced = false
  const lock: TargetLock = {
    announce() {
      // Who holds it is advice for the one that waits, not the lock: a target that cannot take
      // the file (full, read-only) still runs, and revert on a full disk still frees space. A
      // path refused under --root (a link) is still refused.
      try {
        writeFileAtomic(root, HOLDER_FILE, JSON.stringify(me) + '\n', 0o644)
        announced = true
      } catch (error) {
        if (error instanceof C1mError) throw error
      }
    },
    release() {
      try {
        if (announced) removeFile(root, HOLDER_FILE)
      } finally {
        closeSync(fd)
      }
    },
  }
  // The state directory exists already (an earlier apply is recorded, or it was there before).
  if (isDirInRoot(root, STATE_DIR)) {
    try {
      lock.announce()
    } catch (error) {
      closeSync(fd)
      throw error
    }
  }
  return lock
}

function isDirInRoot(root: HostRoot, dir: string): boolean {
  try {
    return lstatSync(resolveInRoot(root, dir)).isDirectory()
  } catch {
    return false
  }
}

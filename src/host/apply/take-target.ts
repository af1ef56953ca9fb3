import {APPLY_DIRS, APPLY_FILES, HOLDER_FILE, STATE_FILE} from '../../core/profile/apply-state.js'
import {sysctlPath} from '../../core/sysctl-name.js'
import {type TargetLock, lockTarget} from './apply-lock.js'
import type {HostRoot} from '../files/root.js'
import {resolveInRoot} from '../files/safe-path.js'
import {removeStaleTemps} from './write-files.js'

/**
 * Begin an apply or revert on a target: take its lock, check that every path it may write
 * stays inside the root (E_BAD_ROOT before anything changes), and remove the temporary files
 * and directories a killed apply left (only c1m's own names, only in the directories it
 * writes). `liveKeys`: the sysctls whose /proc/sys files will be written under the root.
 */
export async function takeTarget(root: HostRoot, command: string, liveKeys: string[], note: (line: string) => void, unitFiles: string[] = []): Promise<TargetLock> {
  const lock = lockTarget(root, command)
  try {
    for (const file of [STATE_FILE, HOLDER_FILE, ...APPLY_FILES, ...unitFiles, ...liveKeys.map((k) => sysctlPath(k))]) resolveInRoot(root, file)
    const removed = removeStaleTemps(root, ['/', ...APPLY_DIRS, ...unitFiles.map((f) => f.slice(0, f.lastIndexOf('/')))])
    if (removed.length > 0) note(`removed what an interrupted apply left behind: ${removed.join(', ')}`)
  } catch (error) {
    lock.release()
    throw error
  }
  return lock
}

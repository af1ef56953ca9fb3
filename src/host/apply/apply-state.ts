import {lstatSync, renameSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import {type ApplyState, type Change, MAX_BEFORE_BASE64, MAX_RECORD_BYTES, STATE_DIR, STATE_FILE} from '../../core/profile/apply-state.js'
import {parseApplyState} from '../../core/profile/parse-apply-state.js'
import {C1mError} from '../../core/errors.js'
import {type HostRoot} from '../files/root.js'
import {makeDirsInRoot, missingDirsInRoot, resolveInRoot} from '../files/safe-path.js'
import {readFileOrNull, tempName, writeFileAtomic} from './write-files.js'

export {type ApplyState, type Change, STATE_FILE} from '../../core/profile/apply-state.js'

export function statePath(root: HostRoot): string {
  return path.join(root.dir, STATE_FILE)
}

function unreadable(root: HostRoot, problem: string): C1mError {
  return new C1mError('E_UNREADABLE', `${statePath(root)} is not a record c1m can trust: ${problem}; nothing was changed`, 'inspect it; if it is not yours, `c1m revert --forget` drops it (and prints what it named)')
}

/**
 * The apply record under the root, checked in full (see parseApplyState), or undefined when
 * there is none. A file that is not a regular file, is larger than 16 MiB, is not owned by
 * this user or can be written by others is not trusted.
 */
export function readState(root: HostRoot): ApplyState | undefined {
  let bytes: Buffer | null
  try {
    const full = resolveInRoot(root, STATE_FILE)
    bytes = readFileOrNull(root, STATE_FILE)
    if (bytes !== null) {
      const stat = statSync(full)
      if (stat.uid !== process.geteuid?.()) throw new Error(`it is owned by uid ${stat.uid}, not by this user`)
      if ((stat.mode & 0o022) !== 0) throw new Error(`others may write it (mode ${(stat.mode & 0o777).toString(8)})`)
    }
  } catch (error) {
    if (error instanceof C1mError) throw error
    throw unreadable(root, (error as Error).message)
  }
  if (bytes === null) return undefined
  if (bytes.length > MAX_RECORD_BYTES) throw unreadable(root, 'larger than 16 MiB')
  const parsed = parseApplyState(bytes.toString('utf8'), root.live)
  if (!parsed.ok) throw unreadable(root, parsed.problem)
  return parsed.state
}

export function saveState(root: HostRoot, state: ApplyState): void {
  writeFileAtomic(root, STATE_FILE, JSON.stringify(state, null, 2) + '\n', 0o600)
}

/**
 * Write the first record. When its directory is missing, the directories are built under a
 * temporary name with the record inside, then renamed into place: a kill at any moment
 * leaves either nothing new or a directory with a record naming it (a temporary one is
 * removed by the next apply or revert). The directories made are recorded as `dir` changes.
 */
export function createState(root: HostRoot, state: ApplyState): void {
  const missing = missingDirsInRoot(root, STATE_DIR)
  state.changes.unshift(...missing.map((dir): Change => ({kind: 'dir', path: dir})))
  if (missing.length === 0) return saveState(root, state)
  const top = missing[0]
  const tmpTop = tempName(top)
  const inTmp = (p: string) => tmpTop + p.slice(top.length)
  try {
    makeDirsInRoot(root, inTmp(STATE_DIR))
    writeFileAtomic(root, inTmp(STATE_FILE), JSON.stringify(state, null, 2) + '\n', 0o600)
    renameSync(resolveInRoot(root, tmpTop), resolveInRoot(root, top))
  } catch (error) {
    // Nothing new stays behind: the temporary directories hold only what this call wrote.
    rmSync(resolveInRoot(root, tmpTop), {recursive: true, force: true})
    throw error
  }
}

/**
 * Refuse, before anything changes, an apply whose record revert would refuse: the record keeps
 * each file apply replaces (base64, at most MAX_BEFORE_BASE64 each) and is read only up to
 * MAX_RECORD_BYTES. `files`: the files apply will replace (paths inside the root).
 */
export function checkRecordRoom(root: HostRoot, files: string[]): void {
  let total = 64 * 1024 // the rest of the record, with room to spare
  for (const file of files) {
    const size = lstatSync(resolveInRoot(root, file), {throwIfNoEntry: false})?.size ?? 0
    const kept = Math.ceil(size / 3) * 4
    total += kept
    if (kept > MAX_BEFORE_BASE64 || total > MAX_RECORD_BYTES) {
      throw new C1mError('E_PREFLIGHT', `${file} under ${root.dir} is ${(size / 1024 / 1024).toFixed(1)} MiB: too large for the apply record that keeps it for revert (at most 3 MiB a file); nothing was changed`, `move its settings to another file beside it (apply replaces ${file} whole), then apply again`)
    }
  }
}

import {type ApplyState, HOLDER_FILE, STATE_FILE} from '../../core/profile/apply-state.js'
import {C1mError} from '../../core/errors.js'
import {readState} from './apply-state.js'
import type {HostRoot} from '../files/root.js'
import {sweepDirs} from './undo-changes.js'
import {readFileOrNull, removeFile} from './write-files.js'

/**
 * Drop the apply record without undoing anything (`c1m revert --forget`), for when what it
 * names is gone (a deleted namespace). Returns what it named, or the reason it could not be
 * read (it is dropped all the same: only the record file is removed, nothing it names), or
 * undefined when there is no record. Empty directories apply made for it go too.
 */
export function forgetState(root: HostRoot): {state?: ApplyState; problem?: string} | undefined {
  let state: ApplyState | undefined
  let problem: string | undefined
  try {
    state = readState(root)
  } catch (error) {
    if (!(error instanceof C1mError) || error.code !== 'E_UNREADABLE') throw error
    problem = error.message
    if (!isFile(root)) throw error // a directory (or nothing) in its place: not c1m's to remove
  }
  if (!state && !problem) return undefined
  if (!state) {
    removeFile(root, STATE_FILE)
    removeFile(root, HOLDER_FILE)
    return {problem}
  }
  // As revert ends: the record and the empty directories apply made, so a kill leaves none empty.
  const problems = sweepDirs(root, state.changes.flatMap((c) => (c.kind === 'dir' ? [c.path] : [])))
  if (problems.length > 0) throw new C1mError('E_RUNTIME', `cannot drop the record: ${problems.join('; ')}`, 'fix the cause and run c1m revert --forget again')
  return {state}
}

function isFile(root: HostRoot): boolean {
  try {
    return readFileOrNull(root, STATE_FILE) !== null
  } catch {
    return false
  }
}

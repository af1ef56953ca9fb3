import {type ApplyState, type Change, HOLDER_FILE, STATE_FILE} from '../core/profile/apply-state.js'
import {saveState} from './apply-state.js'
import {delIpv4, listIpv4} from './ip-addr.js'
import type {HostRoot} from './root.js'
import {resolveInRoot} from './safe-path.js'
import {sysctlPath} from '../core/sysctl-name.js'
import {describeWriteError, readFileOrNull, removeDirIfEmpty, removeFile, writeFileAtomic} from './write-files.js'
import {readSysctlRaw, writeSysctlValue} from './write-sysctl.js'

/**
 * Undo one change, only where it took effect: a sysctl or file that already holds what it
 * held before is left alone (a change apply was killed in the middle of may never have
 * happened), an address that is not there is not removed.
 */
async function undoOne(root: HostRoot, c: Change): Promise<void> {
  if (c.kind === 'sysctl') {
    if ((await readSysctlRaw(root, c.key, c.netns)) !== c.before) await writeSysctlValue(root, c.key, c.before, c.netns)
  }
  if (c.kind === 'file') {
    const now = readFileOrNull(root, c.path)
    if (c.before === null) {
      if (now !== null) removeFile(root, c.path)
    } else if (now === null || now.toString('base64') !== c.before) writeFileAtomic(root, c.path, Buffer.from(c.before, 'base64'))
  }
  if (c.kind === 'address' && (await listIpv4(c.iface, c.netns)).includes(c.address)) await delIpv4(c.iface, c.address, c.netns)
}

/**
 * Check every path a record names, as apply's preflight does, before anything is undone: a
 * link, hard link or FIFO put in the tree since apply stops revert with one line.
 */
export function checkRecordPaths(root: HostRoot, state: ApplyState): void {
  for (const c of state.changes) {
    if (c.kind === 'file' || c.kind === 'dir') resolveInRoot(root, c.path)
    if (c.kind === 'sysctl' && !c.netns) resolveInRoot(root, sysctlPath(c.key))
  }
}

export function describeUndo(c: Change): string {
  if (c.kind === 'sysctl') return `restore ${c.key}`
  if (c.kind === 'address') return `remove ${c.address}/32 from ${c.iface}`
  return `restore ${c.path}`
}

/**
 * Undo the changes of a record in reverse order. A step that fails is reported and the others
 * still run. When all succeed the record goes, then the directories apply made (if empty);
 * otherwise the record keeps only what is left to undo, so `c1m revert` can try again.
 * Returns the problems.
 */
export async function undoChanges(root: HostRoot, state: ApplyState): Promise<string[]> {
  const problems: string[] = []
  const left: Change[] = []
  for (const c of [...state.changes].reverse()) {
    if (c.kind === 'dir') continue
    try {
      await undoOne(root, c)
    } catch (error) {
      problems.push(`${describeUndo(c)}: ${describeWriteError(error)}`)
      left.unshift(c)
    }
  }
  const dirs = state.changes.filter((c) => c.kind === 'dir')
  if (problems.length > 0) {
    try {
      saveState(root, {...state, changes: [...dirs, ...left]})
    } catch (error) {
      problems.push(`update ${STATE_FILE}: ${describeWriteError(error)}`)
    }
    return problems
  }
  for (const [what, file] of [['record', STATE_FILE], ['lock holder', HOLDER_FILE]]) {
    try {
      removeFile(root, file)
    } catch (error) {
      problems.push(`remove the ${what} ${file}: ${describeWriteError(error)}`)
    }
  }
  for (const d of [...dirs].reverse()) {
    try {
      removeDirIfEmpty(root, d.path)
    } catch (error) {
      problems.push(`remove ${d.path}: ${describeWriteError(error)}`)
    }
  }
  return problems
}

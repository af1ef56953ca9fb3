import {createHash} from 'node:crypto'
import {lstatSync, readdirSync, renameSync, rmSync} from 'node:fs'
import path from 'node:path'

import {C1mError} from '../../core/errors.js'
import {type ApplyState, type Change, HOLDER_FILE, STATE_DIR, STATE_FILE} from '../../core/profile/apply-state.js'
import {readState, saveState} from './apply-state.js'
import {delIpv4, listIpv4} from '../read/ip-addr.js'
import type {HostRoot} from '../files/root.js'
import {resolveInRoot} from '../files/safe-path.js'
import {sysctlPath} from '../../core/sysctl-name.js'
import {describeWriteError, readFileOrNull, removeDirIfEmpty, removeFile, tempName, writeFileAtomic} from './write-files.js'
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
    const differs = now === null ? c.before !== null : now.toString('base64') !== c.before
    if (!differs) return
    // Someone changed the file since apply wrote it (lines added by hand): it is theirs now, and
    // neither deleted nor restored over. The record keeps the change until they decide.
    if (now !== null && c.afterSha256 !== undefined && createHash('sha256').update(now).digest('hex') !== c.afterSha256) {
      throw new Error(`it was changed since apply wrote it, so it is kept as it is (move your own lines to another file, e.g. /etc/sysctl.d/91-c1m-local.conf, or put back what apply wrote; \`c1m revert --forget\` keeps everything)`)
    }
    if (c.before === null) removeFile(root, c.path)
    else writeFileAtomic(root, c.path, Buffer.from(c.before, 'base64'))
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
 * still run; then the record keeps only what is left to undo, so `c1m revert` can try again.
 * When all succeed, the directories apply made go (sweepDirs). Returns the problems.
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
  const dirs = state.changes.filter((c) => c.kind === 'dir').map((c) => c.path)
  if (problems.length > 0) {
    try {
      saveState(root, {...state, changes: [...state.changes.filter((c) => c.kind === 'dir'), ...left]})
    } catch (error) {
      problems.push(`update ${STATE_FILE}: ${describeWriteError(error)}`)
    }
    return problems
  }
  // From here on only directories are left: the record says so first, so a kill while they
  // are removed leaves a record naming just them, which the next apply or revert sweeps. Best
  // effort: if it cannot be written, the record as it was is undone again harmlessly.
  if (dirs.length > 0 && dirs.length < state.changes.length) {
    try {
      saveState(root, {...state, changes: dirs.map((d): Change => ({kind: 'dir', path: d}))})
    } catch {
      // the full record stands
    }
  }
  return sweepDirs(root, dirs)
}

const forState = (dir: string) => STATE_DIR === dir || STATE_DIR.startsWith(`${dir}/`)

/** Does `top` (made by apply) hold only the record, the lock holder and directories apply made? */
function holdsOnlyOurs(root: HostRoot, top: string, dirs: string[]): boolean {
  const ours = (inside: string): boolean => {
    const st = lstatSync(resolveInRoot(root, inside))
    if (st.isDirectory()) return dirs.includes(inside) && readdirSync(resolveInRoot(root, inside)).every((n) => ours(path.posix.join(inside, n)))
    return st.isFile() && (inside === STATE_FILE || inside === HOLDER_FILE)
  }
  return ours(top)
}

/**
 * Remove the directories an apply made (`dirs`, outermost first), each only if empty, then
 * the record. The record's own directories, when apply made them and they hold nothing
 * else, are renamed to a temporary name in one step and removed under it: a kill leaves them
 * whole with the record, or under a name the next run removes, never empty under their own
 * name. Returns the problems.
 */
export function sweepDirs(root: HostRoot, dirs: string[]): string[] {
  const problems: string[] = []
  const attempt = (what: string, act: () => void) => {
    try {
      act()
    } catch (error) {
      problems.push(`${what}: ${describeWriteError(error)}`)
    }
  }
  for (const d of [...dirs].reverse().filter((d) => !forState(d))) attempt(`remove ${d}`, () => removeDirIfEmpty(root, d))
  const top = dirs.find((d) => forState(d))
  let swept = false
  if (top) {
    attempt(`remove ${top}`, () => {
      if (!holdsOnlyOurs(root, top, dirs)) return
      const temp = tempName(top)
      renameSync(resolveInRoot(root, top), resolveInRoot(root, temp))
      swept = true
      rmSync(resolveInRoot(root, temp), {recursive: true, force: true})
    })
  }
  if (swept) return problems
  for (const [what, file] of [['record', STATE_FILE], ['lock holder', HOLDER_FILE]]) attempt(`remove the ${what} ${file}`, () => removeFile(root, file))
  for (const d of [...dirs].reverse().filter((d) => forState(d))) attempt(`remove ${d}`, () => removeDirIfEmpty(root, d))
  return problems
}

/**
 * Finish what a revert killed while removing directories left: a record that names only
 * directories (nothing to undo) has them removed, if empty, and goes. Run under the lock,
 * before apply or revert reads the record. A record that cannot be read is left to them.
 */
export function sweepFinishedRecord(root: HostRoot, note: (line: string) => void): void {
  let state: ApplyState | undefined
  try {
    state = readState(root)
  } catch {
    return
  }
  if (!state || state.changes.some((c) => c.kind !== 'dir')) return
  const dirs = state.changes.flatMap((c) => (c.kind === 'dir' ? [c.path] : []))
  const problems = sweepDirs(root, dirs)
  if (problems.length > 0) throw new C1mError('E_RUNTIME', `cannot remove what an interrupted revert left: ${problems.join('; ')}`, 'fix the cause and run this again')
  note(`finished an interrupted revert: removed the record${dirs.length > 0 ? ` and the empty directories apply had made (${dirs.join(', ')})` : ''}`)
}

import path from 'node:path'

import type {Role} from '../core/needs.js'
import {CHANGES, type PlanRow} from '../core/profile/plan-apply.js'
import {LIMITS_FILE, renderLimitsConf, renderSysctlConf, renderSystemdDropIn, SYSCTL_FILE, SYSTEMD_FILE} from '../core/profile/render-files.js'
import {C1mError} from '../errors.js'
import {type ApplyState, type Change, saveState, STATE_FILE, statePath} from './apply-state.js'
import {addIpv4, delIpv4, listIpv4} from './ip-addr.js'
import {hostPath, type HostRoot} from './root.js'
import {missingDirs, readFileOrNull, removeDirIfEmpty, removeFile, writeFileAtomic} from './write-files.js'
import {readSysctlRaw, writeSysctlValue} from './write-sysctl.js'

export interface ApplyOptions {
  profile: string
  conns: number
  role: Role
  netns?: string
  /** Write the files only, not /proc/sys (a container whose /proc/sys is read-only). */
  persistOnly: boolean
  iface?: string
  /** Progress lines for stderr. */
  progress?: (line: string) => void
}

interface Step {
  name: string
  run(record: (change: Change) => void): Promise<void>
}

/** Undo changes in reverse order; directories last, once the files in them are gone. Returns the problems. */
export async function undoChanges(root: HostRoot, changes: Change[]): Promise<string[]> {
  const problems: string[] = []
  const attempt = async (what: string, fn: () => Promise<void> | void) => {
    try {
      await fn()
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`)
    }
  }
  for (const c of [...changes].reverse()) {
    if (c.kind === 'sysctl') await attempt(`restore ${c.key}`, () => writeSysctlValue(root, c.key, c.before, c.netns))
    if (c.kind === 'file') {
      const file = hostPath(root, c.path)
      await attempt(`restore ${c.path}`, () => (c.before === null ? removeFile(file) : writeFileAtomic(file, Buffer.from(c.before, 'base64'))))
    }
    if (c.kind === 'address') {
      await attempt(`remove ${c.address} from ${c.iface}`, async () => {
        // Recorded before it was added: if the add failed, there is nothing to remove.
        if ((await listIpv4(c.iface, c.netns)).includes(c.address)) await delIpv4(c.iface, c.address, c.netns)
      })
    }
  }
  // Keep the record while something could not be undone, so that `c1m revert` can try again.
  if (problems.length > 0) return problems
  await attempt(`remove ${STATE_FILE}`, () => removeFile(statePath(root)))
  for (const c of [...changes].reverse()) {
    if (c.kind === 'dir') await attempt(`remove ${c.path}`, () => removeDirIfEmpty(hostPath(root, c.path)))
  }
  return problems
}

function fileStep(root: HostRoot, name: string, file: string, content: string | undefined): Step[] {
  if (content === undefined) return []
  return [
    {
      name,
      async run(record) {
        const target = hostPath(root, file)
        for (const dir of missingDirs(path.dirname(target))) record({kind: 'dir', path: '/' + path.relative(root.dir, dir)})
        const before = readFileOrNull(target)
        record({kind: 'file', path: file, before: before === null ? null : before.toString('base64')})
        writeFileAtomic(target, content)
      },
    },
  ]
}

/**
 * Apply the changes of a plan, step by step: live sysctls, sysctl.d, limits.d, the systemd
 * drop-in, client addresses. Every change is recorded in the state file before it is made;
 * if a step fails, everything already changed is undone and the error names the step.
 */
export async function runApply(root: HostRoot, rows: PlanRow[], options: ApplyOptions): Promise<ApplyState> {
  const changing = rows.filter((r) => CHANGES.includes(r.action))
  const state: ApplyState = {
    format: 'c1m.apply-state/1',
    profile: options.profile,
    conns: options.conns,
    role: options.role,
    netns: options.netns,
    startedAt: new Date().toISOString(),
    steps: [],
    complete: false,
    changes: [],
  }
  const steps: Step[] = []
  const sysctls = changing.filter((r) => r.kind === 'sysctl')
  if (!options.persistOnly && sysctls.length > 0) {
    steps.push({
      name: options.netns ? `live sysctls in namespace ${options.netns}` : 'live sysctls (/proc/sys)',
      async run(record) {
        for (const r of sysctls) {
          const before = await readSysctlRaw(root, r.key, options.netns)
          if (before === undefined) throw new Error(`${r.key} disappeared from /proc/sys`)
          record({kind: 'sysctl', key: r.key, before, after: r.value!, netns: options.netns})
          try {
            await writeSysctlValue(root, r.key, r.value!, options.netns)
          } catch (error) {
            throw new Error(`writing ${r.key} = ${r.value}: ${(error as Error).message}`)
          }
        }
      },
    })
  }
  if (!options.netns) {
    steps.push(
      ...fileStep(root, SYSCTL_FILE, SYSCTL_FILE, renderSysctlConf(options.profile, rows)),
      ...fileStep(root, LIMITS_FILE, LIMITS_FILE, renderLimitsConf(options.profile, rows)),
      ...fileStep(root, SYSTEMD_FILE, SYSTEMD_FILE, renderSystemdDropIn(options.profile, rows)),
    )
  }
  const addresses = changing.find((r) => r.kind === 'addresses')
  if (addresses?.add && options.iface) {
    steps.push({
      name: `client addresses on ${options.iface}`,
      async run(record) {
        for (const address of addresses.add!) {
          record({kind: 'address', iface: options.iface!, address, netns: options.netns})
          await addIpv4(options.iface!, address, options.netns)
        }
      },
    })
  }

  const record = (change: Change) => {
    state.changes.push(change)
    saveState(root, state)
  }
  const stateDir = path.dirname(statePath(root))
  for (const dir of missingDirs(stateDir)) state.changes.push({kind: 'dir', path: '/' + path.relative(root.dir, dir)})
  saveState(root, state)

  for (const step of steps) {
    options.progress?.(`apply: ${step.name}`)
    try {
      await step.run(record)
    } catch (error) {
      // The last change recorded may not have been made; undoing it writes back what was there.
      const made = state.changes.filter((c) => c.kind !== 'dir').length
      const problems = await undoChanges(root, state.changes)
      const undone = problems.length === 0 ? `rolled back ${made} change(s)` : `rollback left problems: ${problems.join('; ')}`
      throw new C1mError('E_APPLY_FAILED', `apply failed at step "${step.name}": ${(error as Error).message}; ${undone}`, 'fix the cause and run apply again')
    }
    state.steps.push(step.name)
    saveState(root, state)
  }
  state.complete = true
  saveState(root, state)
  return state
}

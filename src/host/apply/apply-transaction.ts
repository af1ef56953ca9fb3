import {createHash} from 'node:crypto'
import path from 'node:path'

import type {NetnsId} from '../../core/profile/apply-state.js'
import type {Role} from '../../core/needs.js'
import {LIMITS_FILE, MODPROBE_FILE, renderLimitsConf, renderModprobeConf, renderSysctlConf, renderSystemdDropIn, SYSCTL_FILE, SYSTEMD_FILE} from '../../core/profile/render-files.js'
import {C1mError} from '../../core/errors.js'
import {type ApplyState, type Change, checkRecordRoom, createState, saveState} from './apply-state.js'
import {addIpv4} from '../read/ip-addr.js'
import type {HostRoot} from '../files/root.js'
import {makeDirsInRoot, missingDirsInRoot} from '../files/safe-path.js'
import {undoChanges} from './undo-changes.js'
import {describeWriteError, readFileOrNull, writeFileAtomic} from './write-files.js'
import {readSysctlRaw, writeSysctlValue} from './write-sysctl.js'
import {CHANGES, type PlanRow} from '../../core/profile/plan-rows.js'

export interface ApplyOptions {
  profile: string
  conns: number
  role: Role
  netns?: string
  netnsId?: NetnsId
  /** Write the files only, not /proc/sys (a container whose /proc/sys is read-only). */
  persistOnly: boolean
  iface?: string
  /** Progress lines for stderr. */
  progress?: (line: string) => void
  /** Called once the record (and its directory) exists. */
  recorded?: () => void
}

/**
 * Make one change: recorded as pending first, marked done once it took effect, dropped if it failed
 * (nothing to undo).
 */
type Track = (change: Change, act: () => Promise<void> | void) => Promise<void>

interface Step {
  name: string
  /** The file this step replaces (its bytes go into the record). */
  replaces?: string
  run(track: Track): Promise<void>
}

function fileStep(root: HostRoot, file: string, content: string | undefined): Step[] {
  if (content === undefined) return []
  return [
    {
      name: file,
      replaces: file,
      async run(track) {
        for (const dir of missingDirsInRoot(root, path.posix.dirname(file))) await track({kind: 'dir', path: dir}, () => void makeDirsInRoot(root, dir))
        const before = readFileOrNull(root, file)
        const afterSha256 = createHash('sha256').update(content).digest('hex')
        await track({kind: 'file', path: file, before: before === null ? null : before.toString('base64'), afterSha256}, () => writeFileAtomic(root, file, content))
      },
    },
  ]
}

function planSteps(root: HostRoot, rows: PlanRow[], options: ApplyOptions): Step[] {
  const changing = rows.filter((r) => CHANGES.includes(r.action))
  const steps: Step[] = []
  const sysctls = changing.filter((r) => r.kind === 'sysctl')
  if (!options.persistOnly && sysctls.length > 0) {
    steps.push({
      name: options.netns ? `live sysctls in namespace ${options.netns}` : 'live sysctls (/proc/sys)',
      async run(track) {
        for (const r of sysctls) {
          const before = await readSysctlRaw(root, r.key, options.netns)
          if (before === undefined) throw new Error(`${r.key} disappeared from /proc/sys`)
          await track({kind: 'sysctl', key: r.key, before, after: r.value!, netns: options.netns}, async () => {
            try {
              await writeSysctlValue(root, r.key, r.value!, options.netns)
            } catch (error) {
              throw new Error(`writing ${r.key} = ${r.value}: ${describeWriteError(error)}`)
            }
          })
        }
      },
    })
  }
  if (!options.netns) {
    const systemd = renderSystemdDropIn(options.profile, rows)
    steps.push(
      ...fileStep(root, SYSCTL_FILE, renderSysctlConf(options.profile, rows)),
      ...fileStep(root, MODPROBE_FILE, renderModprobeConf(options.profile, rows)),
      ...fileStep(root, LIMITS_FILE, renderLimitsConf(options.profile, rows)),
      ...fileStep(root, systemd?.file ?? SYSTEMD_FILE, systemd?.content),
    )
  }
  const addresses = changing.find((r) => r.kind === 'addresses')
  if (addresses?.add && options.iface) {
    steps.push({
      name: `client addresses on ${options.iface}`,
      async run(track) {
        for (const address of addresses.add!) {
          await track({kind: 'address', iface: options.iface!, address, prefix: 32, netns: options.netns}, () => addIpv4(options.iface!, address, options.netns))
        }
      },
    })
  }
  return steps
}

/**
 * Apply the changes of a plan, step by step: live sysctls, sysctl.d, modprobe.d, limits.d, the systemd
 * drop-in, client addresses. Each change is recorded before it is made and marked done once
 * it took effect; if a step fails, everything that took effect is undone and the error names
 * the step. The caller holds the target's lock.
 */
export async function runApply(root: HostRoot, rows: PlanRow[], options: ApplyOptions): Promise<ApplyState> {
  const state: ApplyState = {
    format: 'c1m.apply-state/1',
    profile: options.profile,
    conns: options.conns,
    role: options.role,
    netns: options.netns,
    netnsId: options.netnsId,
    startedAt: new Date().toISOString(),
    steps: [],
    complete: false,
    changes: [],
  }
  const steps = planSteps(root, rows, options)
  checkRecordRoom(root, steps.flatMap((s) => (s.replaces ? [s.replaces] : [])))
  try {
    createState(root, state)
  } catch (error) {
    if (error instanceof C1mError) throw error
    throw new C1mError('E_UNREADABLE', `cannot write the apply record under ${root.dir}: ${describeWriteError(error)}; nothing was changed`, 'make the target writable (chattr -i, a read-write mount), then apply again')
  }
  try {
    options.recorded?.()
  } catch (error) {
    // Only the record exists yet: it goes (with the directories made for it).
    await undoChanges(root, state)
    throw error
  }

  const track: Track = async (change, act) => {
    state.changes.push({...change, pending: true})
    saveState(root, state)
    try {
      await act()
    } catch (error) {
      state.changes.pop() // it did not take effect: nothing to undo
      throw error
    }
    state.changes[state.changes.length - 1] = change
    saveState(root, state)
  }
  for (const step of steps) {
    options.progress?.(`apply: ${step.name}`)
    try {
      await step.run(track)
    } catch (error) {
      const made = state.changes.filter((c) => c.kind !== 'dir').length
      const problems = await undoChanges(root, state)
      const undone = problems.length === 0 ? `rolled back ${made} change(s)` : `rollback left problems (the record keeps them for \`c1m revert\`): ${problems.join('; ')}`
      const why = error instanceof C1mError ? error.message : describeWriteError(error)
      throw new C1mError('E_APPLY_FAILED', `apply failed at step "${step.name}": ${why}; ${undone}`, 'fix the cause and run apply again')
    }
    state.steps.push(step.name)
    saveState(root, state)
  }
  state.complete = true
  saveState(root, state)
  return state
}

import {Flags} from '@oclif/core'

import {C1mCommand} from '../cli/base.js'
import {C1mError} from '../core/errors.js'
import {rootFlag} from '../cli/flags.js'
import {type ApplyState, type Change, readState, statePath} from '../host/apply/apply-state.js'
import {forgetState} from '../host/apply/forget-state.js'
import {netnsIdentity} from '../host/netns.js'
import {releaseNetns} from '../host/apply/netns-claim.js'
import {rootDir} from '../host/files/safe-path.js'
import {hostRoot} from '../host/files/root.js'
import {takeTarget} from '../host/apply/take-target.js'
import {checkRecordPaths, sweepFinishedRecord, undoChanges} from '../host/apply/undo-changes.js'

export interface RevertResult {
  profile: string
  root: string
  netns?: string
  /** What was put back, in the order it was undone. */
  restored: string[]
  /** With --forget: what the dropped record named, nothing of it undone. */
  forgotten?: string[]
}

function describe(c: Change): string {
  const ns = 'netns' in c && c.netns ? ` (namespace ${c.netns})` : ''
  if (c.kind === 'sysctl') return `${c.key}: ${c.after} -> ${c.before.trim().split(/\s+/).join(' ')}${ns}`
  if (c.kind === 'file') return c.before === null ? `${c.path}: removed (it did not exist before)` : `${c.path}: previous contents restored`
  if (c.kind === 'address') return `${c.address}/32 removed from ${c.iface}${ns}`
  return `${c.path}/: directory removed if empty`
}

/** The namespace the record was made in must be the one that has its name now. */
function checkNamespace(state: ApplyState, root: string): void {
  if (!state.netns) return
  const now = netnsIdentity(state.netns)
  const forget = `its values went with it: \`c1m revert --forget${root === '/' ? '' : ` --root ${root}`}\` drops the record`
  if (!now) throw new C1mError('E_PREFLIGHT', `the apply was made in network namespace ${state.netns}, which no longer exists; nothing was changed`, forget)
  if (state.netnsId && (state.netnsId.ino !== now.ino || state.netnsId.dev !== now.dev)) {
    throw new C1mError('E_PREFLIGHT', `network namespace ${state.netns} is not the one the apply was made in (it was deleted and made again); nothing was changed`, forget)
  }
}

export default class Revert extends C1mCommand {
  static override description = `Undo the last \`c1m apply\`: put back the recorded live values, files and addresses.

Reads /var/lib/c1m/state.json (under --root), checks every entry of it, restores every change in reverse order - sysctl values, the files it wrote or replaced (byte for byte), the client addresses it added - then removes the record. --forget drops the record without undoing anything (when the namespace it was made in is gone) and prints what it named.`

  static override examples = [
    {description: 'Undo the last apply on this host', command: '<%= config.bin %> revert'},
    {description: 'Undo an apply into a sandbox tree', command: '<%= config.bin %> revert --root ./image'},
    {description: 'Drop the record of an apply into a namespace that was deleted since', command: '<%= config.bin %> revert --forget'},
  ]

  static override flags = {
    root: rootFlag,
    forget: Flags.boolean({description: 'drop the record without undoing anything, and print each change it named'}),
  }

  async run(): Promise<RevertResult> {
    const {flags} = await this.parse(Revert)
    const root = hostRoot(flags.root)
    const isRoot = process.getuid?.() === 0
    if (root.live && !isRoot) throw new C1mError('E_NOT_ROOT', 'revert changes this host and needs root; nothing was changed', 'run it with sudo')
    const lock = await takeTarget(root, `c1m ${process.argv.slice(2).join(' ')}`, [], (line) => this.note(line))
    try {
      if (flags.forget) return this.forget(root)
      sweepFinishedRecord(root, (line) => this.note(line))
      const state = readState(root)
      if (!state) throw new C1mError('E_NOTHING_TO_REVERT', `no apply is recorded in ${statePath(root)}`, 'nothing to revert')
      if (state.netns && !isRoot) throw new C1mError('E_NOT_ROOT', `revert changes network namespace ${state.netns} and needs root; nothing was changed`, 'run it with sudo')
      checkNamespace(state, flags.root)
      checkRecordPaths(root, state)
      const problems = await undoChanges(root, state)
      if (problems.length > 0) {
        throw new C1mError('E_RUNTIME', `revert could not undo everything: ${problems.join('; ')}`, `the record keeps what is left in ${statePath(root)}; fix the cause and run c1m revert again`)
      }
      if (state.netns) releaseNetns(state.netns, rootDir(root))
      const restored = [...state.changes].reverse().filter((c) => c.kind !== 'dir').map(describe)
      if (!this.jsonEnabled()) {
        this.log(`Reverted ${state.profile} (applied ${state.startedAt}${state.complete ? '' : ', not completed'}):`)
        for (const line of restored) this.log(`  ${line}`)
      }
      return {profile: state.profile, root: root.dir, netns: state.netns, restored}
    } finally {
      lock.release()
    }
  }

  private forget(root: ReturnType<typeof hostRoot>): RevertResult {
    const dropped = forgetState(root)
    if (!dropped) throw new C1mError('E_NOTHING_TO_REVERT', `no apply is recorded in ${statePath(root)}`, 'nothing to forget')
    if (dropped.state?.netns) releaseNetns(dropped.state.netns, rootDir(root))
    const forgotten = dropped.state ? dropped.state.changes.map(describeForgotten) : [`the record could not be read (${dropped.problem}); dropped as it was`]
    if (!this.jsonEnabled()) {
      this.log(`Forgot the record ${statePath(root)}${dropped.state ? ` of ${dropped.state.profile} (applied ${dropped.state.startedAt})` : ''}; nothing was undone. It named:`)
      for (const line of forgotten) this.log(`  ${line}`)
    }
    return {profile: dropped.state?.profile ?? '', root: root.dir, netns: dropped.state?.netns, restored: [], forgotten}
  }
}

/** One change of a dropped record, as it stays: nothing of it is undone. */
function describeForgotten(c: Change): string {
  const ns = 'netns' in c && c.netns ? ` in namespace ${c.netns}` : ''
  if (c.kind === 'sysctl') return `sysctl ${c.key} = ${c.after}${ns} (was ${c.before.trim().split(/\s+/).join(' ')})`
  if (c.kind === 'file') return `file ${c.path} (${c.before === null ? 'created by apply' : 'replaced by apply'})`
  if (c.kind === 'address') return `address ${c.address}/32 on ${c.iface}${ns}`
  return `directory ${c.path} (created by apply)`
}

import {C1mCommand} from '../base.js'
import {C1mError} from '../errors.js'
import {rootFlag} from '../flags.js'
import {type Change, readState, statePath} from '../host/apply-state.js'
import {undoChanges} from '../host/apply-transaction.js'
import {netnsExists} from '../host/netns.js'
import {hostRoot} from '../host/root.js'

export interface RevertResult {
  profile: string
  root: string
  netns?: string
  /** What was put back, in the order it was undone. */
  restored: string[]
}

function describe(c: Change): string | undefined {
  if (c.kind === 'sysctl') return `${c.key}: ${c.after} -> ${c.before.trim().split(/\s+/).join(' ')}${c.netns ? ` (namespace ${c.netns})` : ''}`
  if (c.kind === 'file') return c.before === null ? `${c.path}: removed (it did not exist before)` : `${c.path}: previous contents restored`
  if (c.kind === 'address') return `${c.address}/32 removed from ${c.iface}${c.netns ? ` (namespace ${c.netns})` : ''}`
  return undefined
}

export default class Revert extends C1mCommand {
  static override description = `Undo the last \`c1m apply\`: put back the recorded live values, files and addresses.

Reads /var/lib/c1m/state.json (under --root), restores every change in reverse order - sysctl values, the files it wrote or replaced (byte for byte), the client addresses it added - then removes the record.`

  static override examples = [
    {description: 'Undo the last apply on this host', command: '<%= config.bin %> revert'},
    {description: 'Undo an apply into a sandbox tree', command: '<%= config.bin %> revert --root ./image'},
  ]

  static override flags = {
    root: rootFlag,
  }

  async run(): Promise<RevertResult> {
    const {flags} = await this.parse(Revert)
    const root = hostRoot(flags.root)
    const state = readState(root)
    if (!state) throw new C1mError('E_NOTHING_TO_REVERT', `no apply is recorded in ${statePath(root)}`, 'nothing to revert')
    if ((root.live || state.netns) && process.getuid?.() !== 0) {
      throw new C1mError('E_NOT_ROOT', 'revert changes this host and needs root; nothing was changed', 'run it with sudo')
    }
    if (state.netns && !netnsExists(state.netns)) {
      throw new C1mError('E_RUNTIME', `the apply was made in network namespace ${state.netns}, which no longer exists`, `its values went with it; remove ${statePath(root)} by hand`)
    }
    const problems = await undoChanges(root, state.changes)
    if (problems.length > 0) {
      throw new C1mError('E_RUNTIME', `revert could not undo everything: ${problems.join('; ')}`, `the record stays in ${statePath(root)}; fix the cause and run c1m revert again`)
    }
    const restored = [...state.changes].reverse().map(describe).filter((d): d is string => d !== undefined)
    if (!this.jsonEnabled()) {
      this.log(`Reverted ${state.profile} (applied ${state.startedAt}${state.complete ? '' : ', not completed'}):`)
      for (const line of restored) this.log(`  ${line}`)
    }
    return {profile: state.profile, root: root.dir, netns: state.netns, restored}
  }
}

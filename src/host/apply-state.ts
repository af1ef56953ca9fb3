import {readFileSync} from 'node:fs'

import type {Role} from '../core/needs.js'
import {C1mError} from '../errors.js'
import {hostPath, type HostRoot} from './root.js'
import {writeFileAtomic} from './write-files.js'

export const STATE_FILE = '/var/lib/c1m/state.json'

/** One change apply made, with what it replaced. Undone in reverse order. */
export type Change =
  | {kind: 'dir'; path: string}
  | {kind: 'sysctl'; key: string; before: string; after: string; netns?: string}
  | {kind: 'file'; path: string; before: string | null /* base64, null when there was no file */}
  | {kind: 'address'; iface: string; address: string; netns?: string}

/** What `c1m revert` reads: the profile applied and every change, in the order made. */
export interface ApplyState {
  format: 'c1m.apply-state/1'
  profile: string
  conns: number
  role: Role
  netns?: string
  startedAt: string
  /** Steps finished; `complete` once apply got to the end. */
  steps: string[]
  complete: boolean
  changes: Change[]
}

export function statePath(root: HostRoot): string {
  return hostPath(root, STATE_FILE)
}

export function readState(root: HostRoot): ApplyState | undefined {
  let text: string
  try {
    text = readFileSync(statePath(root), 'utf8')
  } catch {
    return undefined
  }
  try {
    const state = JSON.parse(text) as ApplyState
    if (state.format !== 'c1m.apply-state/1' || !Array.isArray(state.changes)) throw new Error('not a c1m apply state')
    return state
  } catch (error) {
    throw new C1mError('E_UNREADABLE', `${STATE_FILE} under ${root.dir} is not a c1m apply state: ${(error as Error).message}`, 'inspect it; remove it only if you know what it recorded')
  }
}

export function saveState(root: HostRoot, state: ApplyState): void {
  writeFileAtomic(statePath(root), JSON.stringify(state, null, 2) + '\n', 0o600)
}

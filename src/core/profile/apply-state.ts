import type {Role} from '../needs.js'
import {LIMITS_FILE, MODPROBE_FILE, SYSCTL_FILE, SYSTEMD_FILE} from './render-files.js'

export const STATE_FILE = '/var/lib/c1m/state.json'
export const STATE_DIR = '/var/lib/c1m'
/** The largest record revert reads. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024
/** The largest replaced file a record keeps, as base64 (3 MiB of file). */
export const MAX_BEFORE_BASE64 = 4 * 1024 * 1024
/** Who holds the apply/revert lock (pid, command, since): beside the state file. */
export const HOLDER_FILE = '/var/lib/c1m/lock'

/**
 * One change apply made, with what it replaced. Undone in reverse order. `pending` is set
 * while the change is being made and cleared once it took effect: a change left pending
 * (apply was killed) is undone only where the target differs from `before`.
 */
export type Change =
  | {kind: 'dir'; path: string; pending?: true}
  | {kind: 'sysctl'; key: string; before: string; after: string; netns?: string; pending?: true}
  | {kind: 'file'; path: string; before: string | null /* base64, null when there was no file */; afterSha256?: string /* of what apply wrote */; pending?: true}
  | {kind: 'address'; iface: string; address: string; prefix: 32; netns?: string; pending?: true}

/**
 * Which namespace --netns meant: the inode of /run/netns/NAME (its nsfs inode), to tell a
 * re-created one apart.
 */
export interface NetnsId {
  dev: number
  ino: number
}

/** What `c1m revert` reads: the profile applied and every change, in the order made. */
export interface ApplyState {
  format: 'c1m.apply-state/1'
  profile: string
  conns: number
  role: Role
  netns?: string
  netnsId?: NetnsId
  startedAt: string
  /** Steps finished; `complete` once apply got to the end. */
  steps: string[]
  complete: boolean
  changes: Change[]
}

/** The only files apply writes, so the only files a record may name. */
export const APPLY_FILES = [SYSCTL_FILE, MODPROBE_FILE, LIMITS_FILE, SYSTEMD_FILE]

/** A path inside the directory that holds the units' drop-in directories (`--unit NAME`). */
const UNIT_DROP_IN_PARENT_FILE = '/etc/systemd/system/NAME.service.d'

const ancestors = (file: string): string[] => {
  const out: string[] = []
  for (let d = file.slice(0, file.lastIndexOf('/')); d !== ''; d = d.slice(0, d.lastIndexOf('/'))) out.push(d)
  return out
}

/**
 * The only directories apply creates, so the only ones a record may name: the directories
 * above the files it writes, above a unit's drop-in directory (/etc/systemd/system, which a saved tree
 * lacks) and above the state file (/etc, /etc/sysctl.d, ..., /var/lib/c1m).
 */
export const APPLY_DIRS = [...new Set([...APPLY_FILES, STATE_FILE, UNIT_DROP_IN_PARENT_FILE].flatMap(ancestors))].sort()

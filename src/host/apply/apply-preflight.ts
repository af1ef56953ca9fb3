import {C1mError} from '../../core/errors.js'
import {readState, statePath} from './apply-state.js'
import {sysctlWritable} from '../read/proc-writable.js'
import type {HostRoot} from '../files/root.js'

/**
 * What apply checks under its lock, before it changes anything: no earlier apply is still
 * recorded, and /proc/sys takes writes when live values are to be set. Throws with the fix.
 */
export function preflightApply(root: HostRoot, liveKeys: string[]): void {
  const earlier = readState(root)
  if (earlier) {
    throw new C1mError('E_PREFLIGHT', `an earlier apply of ${earlier.profile} (${earlier.startedAt}) is recorded in ${statePath(root)}`, 'run `c1m revert` first')
  }
  if (liveKeys.length === 0) return
  const writable = sysctlWritable(root, liveKeys[0])
  if (!writable.ok) {
    throw new C1mError(
      'E_READ_ONLY_PROC',
      `${root.live ? '' : root.dir}/proc/sys is not writable here (${writable.code}${writable.code === 'EROFS' ? ': mounted read-only, as in most containers' : ''}); nothing was changed`,
      'set them on the container host (docker run --sysctl, or the host itself), or pass --persist-only to write the files only',
    )
  }
}

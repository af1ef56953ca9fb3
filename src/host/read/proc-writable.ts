import {accessSync, constants} from 'node:fs'

import {hostPath, type HostRoot} from '../files/root.js'
import {sysctlPath} from './sysctl.js'

/**
 * Can this process write a sysctl under the root? A container usually mounts /proc/sys
 * read-only (EROFS); a user without the rights gets EACCES.
 */
export function sysctlWritable(root: HostRoot, key: string): {ok: true} | {ok: false; code: string} {
  try {
    accessSync(hostPath(root, sysctlPath(key)), constants.W_OK)
    return {ok: true}
  } catch (error) {
    return {ok: false, code: (error as NodeJS.ErrnoException).code ?? 'EIO'}
  }
}

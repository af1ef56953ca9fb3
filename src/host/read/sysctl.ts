import {isSysctlKey, sysctlPath} from '../../core/sysctl-name.js'
import {type HostRoot, type ReadResult, readHostText} from '../files/root.js'

export {isSysctlKey, sysctlKey, sysctlPath} from '../../core/sysctl-name.js'

/** Normalise a sysctl value as the kernel prints it: whitespace runs become one space. */
export function normaliseSysctlValue(value: string): string {
  return value.trim().split(/\s+/).join(' ')
}

export function readSysctl(root: HostRoot, key: string): ReadResult {
  if (!isSysctlKey(key)) return {ok: false, reason: `${key}: not a sysctl name`}
  const result = readHostText(root, sysctlPath(key))
  return result.ok ? {ok: true, text: normaliseSysctlValue(result.text)} : result
}

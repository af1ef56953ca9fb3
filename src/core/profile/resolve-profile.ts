import {C1mError} from '../errors.js'
import {COMPUTE, type ComputeTarget} from './compute.js'
import type {Profile, ResolvedValue} from './types.js'

/**
 * The values of a profile for one target: values limited to other roles or another family are dropped and
 * computed values are worked out from the connection count, the role and the host's RAM.
 */
export function resolveProfile(profile: Profile, target: ComputeTarget): ResolvedValue[] {
  const out: ResolvedValue[] = []
  for (const v of profile.values) {
    if (v.roles && !v.roles.includes(target.role)) continue
    if (v.family && v.family !== (target.family ?? 4)) continue
    if (v.value !== undefined) {
      out.push({...v, value: v.value})
      continue
    }
    try {
      out.push({...v, value: COMPUTE[v.compute!](target)})
    } catch (error) {
      throw new C1mError('E_UNREADABLE', `${v.id} of profile ${profile.name}: ${(error as Error).message}`, 'check that /proc/meminfo is readable under --root')
    }
  }
  return out
}

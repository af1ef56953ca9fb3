import type {Profile} from '../core/profile/types.js'
import {profileSysctlKeys} from './read-plan-facts.js'
import type {HostRoot} from './root.js'
import {readSysctl} from './sysctl.js'
import type {HostSnapshot} from '../core/host-snapshot.js'

/**
 * Add the sysctls a profile names (by their modern names) to a doctor snapshot, so its checks can
 * read them.
 */
export function addProfileSysctls(root: HostRoot, host: HostSnapshot, profile: Profile): void {
  for (const key of profileSysctlKeys(profile.values)) {
    if (key in host.sysctl) continue
    const result = readSysctl(root, key)
    if (result.ok) host.sysctl[key] = result.text
    else host.sysctlMissing[key] = result.reason
  }
}

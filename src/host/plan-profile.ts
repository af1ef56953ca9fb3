import type {Role} from '../core/needs.js'
import {type PlanFacts, planApply, type PlanRow} from '../core/profile/plan-apply.js'
import {laterOverrides} from '../core/profile/render-files.js'
import {resolveProfile} from '../core/profile/resolve-profile.js'
import type {Profile} from '../core/profile/types.js'
import {readMemory} from './memory.js'
import {readProfile} from './profile-files.js'
import {readPlanFacts} from './read-plan-facts.js'
import type {HostRoot} from './root.js'
import {readSysctlFiles} from './sysctl-files.js'

export interface PlanRequest {
  profile: string
  conns: number
  role: Role
  allowLower: boolean
  netns?: string
  iface?: string
  cidr?: string
  /** --unit: the service (validated, without `.service`) whose drop-in gets LimitNOFILE. */
  unit?: string
  /** --systemd-default: DefaultLimitNOFILE for every service. */
  systemdDefault?: boolean
  /** --user: the service's user (validated, existing) whose limits.d lines apply writes instead of `*`. */
  user?: string
}

export interface HostPlan {
  profile: Profile
  facts: PlanFacts
  rows: PlanRow[]
  /** Files read after 90-c1m.conf at boot that would override c1m's values. */
  overrides: string[]
}

/** Load a profile, resolve it for the target, read the host (or sandbox, or namespace) and plan. */
export async function planProfile(root: HostRoot, request: PlanRequest): Promise<HostPlan> {
  const profile = readProfile(request.profile)
  const values = resolveProfile(profile, {conns: request.conns, role: request.role, memTotal: readMemory(root).meminfo?.MemTotal})
  const facts = await readPlanFacts(root, values, {netns: request.netns, iface: request.iface, cidr: request.cidr, unit: request.unit, systemdDefault: request.systemdDefault, user: request.user})
  const rows = planApply(values, facts, {role: request.role, allowLower: request.allowLower})
  const overrides = request.netns ? [] : laterOverrides(rows, readSysctlFiles(root).entries)
  return {profile, facts, rows, overrides}
}

import type {LimitsEntry, SysctlFileEntry, SystemdInfo} from '../host-snapshot.js'
import type {Family, Role} from '../needs.js'
import {LEGACY_NAMES} from './kernel-keys.js'
import {nofileFromLimits} from './nofile-from-limits.js'
import {planApply} from './plan-apply.js'
import {laterOverrides} from './render-files.js'
import {resolveProfile} from './resolve-profile.js'
import type {Profile} from './types.js'
import type {PlanFacts, PlanRow} from './plan-rows.js'

// The one way from what was read (a host, a sandbox tree, a namespace) to the planner's facts,
// for `c1m apply`, `c1m profiles show` and `c1m doctor --profile` alike.

/**
 * What the planner needs read: host/read-plan-input.ts fills it for apply, doctor's snapshot for
 * its checks.
 */
export interface PlanInput {
  kernel?: string
  memTotal?: number
  /** Current values by modern name; a key absent is not on this kernel. */
  sysctl: Record<string, string | undefined>
  limits: LimitsEntry[]
  systemd: SystemdInfo
  netns?: PlanFacts['netns']
  addresses?: PlanFacts['addresses']
  /** The sysctl files, to name those read after 90-c1m.conf; absent in a namespace. */
  sysctlFiles?: SysctlFileEntry[]
}

export interface PlanChoices {
  /** --unit: the service (without `.service`) whose LimitNOFILE is planned. */
  unit?: string
  /** --systemd-default: plan DefaultLimitNOFILE for every service. */
  systemdDefault?: boolean
  /** --user: the user whose limits.d lines are planned instead of `*`. */
  user?: string
}

/** The keys a profile's sysctl values act on, by their modern names. */
export function profileSysctlKeys(values: {kind: string; key: string}[]): string[] {
  return [...new Set(values.filter((v) => v.kind === 'sysctl').map((v) => LEGACY_NAMES[v.key]?.name ?? v.key))]
}

export function planFacts(input: PlanInput, choices: PlanChoices = {}): PlanFacts {
  const {systemd} = input
  return {
    kernel: input.kernel,
    memTotal: input.memTotal,
    sysctl: input.sysctl,
    nofile: nofileFromLimits(input.limits, choices.user),
    systemd: {
      running: systemd.running,
      defaultLimitNOFILE: systemd.defaultLimitNOFILE?.value,
      file: systemd.defaultLimitNOFILE?.file,
      unit: choices.unit === undefined ? undefined : {name: choices.unit, limitNOFILE: systemd.unit?.limitNOFILE, file: systemd.unit?.source},
      useDefault: choices.systemdDefault,
    },
    netns: input.netns,
    addresses: input.addresses,
  }
}

export interface ProfilePlan {
  facts: PlanFacts
  rows: PlanRow[]
  /** Files read after 90-c1m.conf at boot that would override c1m's values. */
  overrides: string[]
}

/** Resolve a profile for the target and plan it against what was read. Pure. */
export function planProfile(profile: Profile, input: PlanInput, target: PlanChoices & {conns: number; role: Role; family?: Family; allowLower: boolean}): ProfilePlan {
  const values = resolveProfile(profile, {conns: target.conns, role: target.role, family: target.family, memTotal: input.memTotal})
  const facts = planFacts(input, target)
  const rows = planApply(values, facts, {role: target.role, family: target.family, allowLower: target.allowLower})
  return {facts, rows, overrides: input.sysctlFiles ? laterOverrides(rows, input.sysctlFiles) : []}
}

import {LEGACY_NAMES} from '../core/profile/kernel-keys.js'
import {nofileFromLimits} from '../core/profile/nofile-from-limits.js'
import type {PlanFacts} from '../core/profile/plan-apply.js'
import type {ResolvedValue} from '../core/profile/types.js'
import {usageError} from '../core/errors.js'
import {listIpv4} from './ip-addr.js'
import {readLimitsConf} from './limits.js'
import {readMemory} from './memory.js'
import {readNetnsSysctls} from './netns.js'
import type {HostRoot} from './root.js'
import {normaliseSysctlValue, readSysctl} from './sysctl.js'
import {readSystemd} from './systemd.js'

export interface FactOptions {
  netns?: string
  iface?: string
  cidr?: string
  unit?: string
  systemdDefault?: boolean
  user?: string
}

/** The keys a profile's sysctl values act on, by their modern names. */
export function profileSysctlKeys(values: {kind: string; key: string}[]): string[] {
  return [...new Set(values.filter((v) => v.kind === 'sysctl').map((v) => LEGACY_NAMES[v.key]?.name ?? v.key))]
}

/**
 * What the planner compares against: current values from the root (or the namespace), limits,
 * systemd, RAM, addresses.
 */
export async function readPlanFacts(root: HostRoot, values: ResolvedValue[], options: FactOptions = {}): Promise<PlanFacts> {
  const keys = profileSysctlKeys(values)
  const sysctl: Record<string, string | undefined> = {}
  let netns: PlanFacts['netns']
  if (options.netns) {
    const seen = await readNetnsSysctls(options.netns, keys)
    for (const [key, value] of Object.entries(seen.values)) sysctl[key] = normaliseSysctlValue(value)
    netns = {name: options.netns, scope: seen.scope}
    // Global keys: what the host has, for the plan's "current" column.
    for (const key of keys) if (!(key in sysctl) && key !== 'kernel.osrelease') sysctl[key] = hostValue(root, key)
  } else {
    for (const key of keys) sysctl[key] = hostValue(root, key)
  }
  const nrOpen = hostValue(root, 'fs.nr_open')
  if (nrOpen !== undefined && !('fs.nr_open' in sysctl)) sysctl['fs.nr_open'] = nrOpen
  const systemd = readSystemd(root, options.unit === undefined ? undefined : `${options.unit}.service`)
  let addresses: PlanFacts['addresses']
  if (options.iface && options.cidr) {
    const canAdd = root.live || Boolean(options.netns)
    let present: string[] = []
    if (canAdd) {
      try {
        present = await listIpv4(options.iface, options.netns)
      } catch (error) {
        throw usageError(`--iface ${options.iface}: ${(error as Error).message}`, `list the interfaces with \`ip link\`${options.netns ? ` inside ${options.netns}` : ''}`)
      }
    }
    addresses = {iface: options.iface, cidr: options.cidr, present, canAdd, why: canAdd ? undefined : 'addresses are added on the live host or in a --netns namespace, not under --root'}
  }
  return {
    kernel: hostValue(root, 'kernel.osrelease'),
    memTotal: readMemory(root).meminfo?.MemTotal,
    sysctl,
    nofile: nofileFromLimits(readLimitsConf(root).entries, options.user),
    systemd: {
      running: systemd.running,
      defaultLimitNOFILE: systemd.defaultLimitNOFILE?.value,
      file: systemd.defaultLimitNOFILE?.file,
      unit: options.unit === undefined ? undefined : {name: options.unit, limitNOFILE: systemd.unit?.limitNOFILE, file: systemd.unit?.source},
      useDefault: options.systemdDefault,
    },
    netns,
    addresses,
  }
}

function hostValue(root: HostRoot, key: string): string | undefined {
  const result = readSysctl(root, key)
  return result.ok ? result.text : undefined
}

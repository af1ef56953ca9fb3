import {C1mError, usageError} from '../../core/errors.js'
import type {PlanInput} from '../../core/profile/plan-facts.js'
import {listIpv4} from './ip-addr.js'
import {readLimitsConf} from './limits.js'
import {readMemory} from './memory.js'
import {readNetnsSysctls} from '../netns.js'
import type {HostRoot} from '../files/root.js'
import {resolveInRoot} from '../files/safe-path.js'
import {readSysctlFiles} from './sysctl-files.js'
import {normaliseSysctlValue, readSysctl, sysctlPath} from './sysctl.js'
import {readSystemd} from './systemd.js'

export interface InputOptions {
  netns?: string
  iface?: string
  cidr?: string
  /** --unit: read this service's LimitNOFILE too. */
  unit?: string
}

/**
 * What apply plans against, read once: the current values of `keys` from the root (or, for
 * the per-namespace ones, the namespace), RAM, limits, systemd, the sysctl files, addresses.
 */
export async function readPlanInput(root: HostRoot, keys: string[], options: InputOptions = {}): Promise<PlanInput> {
  const sysctl: Record<string, string | undefined> = {}
  let netns: PlanInput['netns']
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
  let addresses: PlanInput['addresses']
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
    limits: readLimitsConf(root).entries,
    systemd: readSystemd(root, options.unit === undefined ? undefined : `${options.unit}.service`),
    netns,
    addresses,
    ...(options.netns ? {} : {sysctlFiles: readSysctlFiles(root).entries}),
  }
}

function hostValue(root: HostRoot, key: string): string | undefined {
  const result = readSysctl(root, key)
  if (result.ok) return result.text
  if (!result.refused) return undefined
  // A link or hard link in a --root tree is not "no such key": apply refuses it before planning.
  resolveInRoot(root, sysctlPath(key))
  throw new C1mError('E_BAD_ROOT', `${result.reason}; nothing is written through it`, 'replace it with a real file, or pass the directory it points to as --root')
}

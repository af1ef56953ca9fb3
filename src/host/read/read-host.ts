import {existsSync} from 'node:fs'

import {readAddresses} from './addresses.js'
import {readKernelLog} from './kernel-log.js'
import {readLimitsConf, readProcessInfo} from './limits.js'
import {readMemory} from './memory.js'
import {readConntrackFamilies, readNeighbourEntries} from './neighbours.js'
import {parseSysctlInt} from '../../core/sysctl-value.js'
import {hostPath, type HostRoot} from '../files/root.js'
import {readServerProcesses} from './server-processes.js'
import {readSysctlFiles} from './sysctl-files.js'
import {isSysctlKey, readSysctl, sysctlPath} from './sysctl.js'
import {readSystemd} from './systemd.js'
import type {HostSnapshot} from '../../core/host-snapshot.js'

/** Every sysctl the checks read. */
export const SYSCTL_KEYS = [
  'kernel.osrelease',
  'kernel.hostname',
  'fs.file-max',
  'fs.nr_open',
  'fs.file-nr',
  'net.core.somaxconn',
  'net.ipv4.tcp_max_syn_backlog',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.netfilter.nf_conntrack_max',
  'net.netfilter.nf_conntrack_buckets',
  'net.netfilter.nf_conntrack_count',
  'net.ipv4.tcp_mem',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
  'net.core.rmem_max',
  'net.core.wmem_max',
  'net.core.rmem_default',
  'net.core.wmem_default',
  'net.ipv4.tcp_max_tw_buckets',
  'net.ipv4.tcp_tw_reuse',
  'net.core.netdev_max_backlog',
  'net.ipv4.tcp_max_orphans',
  'vm.min_free_kbytes',
  // IPv6 (doctor --family 6), and the neighbour tables of both families
  'net.ipv6.conf.all.disable_ipv6',
  'net.ipv6.ip_nonlocal_bind',
  'net.ipv4.neigh.default.gc_thresh1',
  'net.ipv4.neigh.default.gc_thresh2',
  'net.ipv4.neigh.default.gc_thresh3',
  'net.ipv6.neigh.default.gc_thresh1',
  'net.ipv6.neigh.default.gc_thresh2',
  'net.ipv6.neigh.default.gc_thresh3',
] as const

export interface ReadOptions {
  pid?: number
  unit?: string
  /** Read interface addresses (needed for the client and loopback roles). */
  addresses?: boolean
  /** Sysctls to read besides SYSCTL_KEYS (a profile's, for doctor --profile). */
  sysctls?: string[]
  /** doctor --user: whose limits.conf and limits.d nofile lines count, instead of `*`. */
  user?: string
}

/** Gather everything doctor reads, from the live host or a saved tree. Never throws on a missing file. */
export async function readHost(root: HostRoot, options: ReadOptions = {}): Promise<HostSnapshot> {
  const sysctl: Record<string, string> = {}
  const sysctlMissing: Record<string, string> = {}
  for (const key of new Set([...SYSCTL_KEYS, ...(options.sysctls ?? [])])) {
    const result = readSysctl(root, key)
    if (result.ok) sysctl[key] = result.text
    else sysctlMissing[key] = result.reason
  }
  const sysctlFiles = readSysctlFiles(root)
  const sysctlKeyExists: Record<string, boolean> = {}
  for (const {key} of sysctlFiles.entries) sysctlKeyExists[key] = isSysctlKey(key) && existsSync(hostPath(root, sysctlPath(key)))

  const [addresses, server] = await Promise.all([
    options.addresses ? readAddresses(root) : undefined,
    options.pid === undefined ? undefined : readServerProcesses(root, options.pid),
  ])
  return {
    root: root.dir,
    live: root.live,
    sysctl,
    sysctlMissing,
    process: readProcessInfo(root, server?.audited ?? options.pid ?? 'self'),
    limitsConf: readLimitsConf(root, options.user),
    systemd: readSystemd(root, options.unit),
    memory: readMemory(root),
    sysctlFiles,
    sysctlKeyExists,
    kernelLog: readKernelLog(root),
    addresses,
    neighbours: readNeighbourEntries(root),
    conntrackFamilies: readConntrackFamilies(root, parseSysctlInt(sysctl['net.netfilter.nf_conntrack_count'])),
    server,
  }
}

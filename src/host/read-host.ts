import {existsSync} from 'node:fs'

import {type LocalAddress, readAddresses} from './addresses.js'
import {type KernelLog, readKernelLog} from './kernel-log.js'
import {type LimitsEntry, type ProcessInfo, readLimitsConf, readProcessInfo} from './limits.js'
import {type MemoryInfo, readMemory} from './memory.js'
import {hostPath, type HostRoot} from './root.js'
import {readServerProcesses, type ServerProcesses} from './server-processes.js'
import {type SysctlFileEntry, readSysctlFiles} from './sysctl-files.js'
import {isSysctlKey, readSysctl, sysctlPath} from './sysctl.js'
import {readSystemd, type SystemdInfo} from './systemd.js'

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
] as const

export interface HostSnapshot {
  root: string
  live: boolean
  /** Values of SYSCTL_KEYS that could be read, whitespace-normalised. */
  sysctl: Record<string, string>
  /** Why a key of SYSCTL_KEYS could not be read. */
  sysctlMissing: Record<string, string>
  process: ProcessInfo
  limitsConf: {entries: LimitsEntry[]; files: string[]; problems: string[]}
  systemd: SystemdInfo
  memory: MemoryInfo
  sysctlFiles: {entries: SysctlFileEntry[]; files: string[]}
  /** For each key named in a sysctl file: does this kernel have it? */
  sysctlKeyExists: Record<string, boolean>
  kernelLog: KernelLog
  addresses?: {addresses: LocalAddress[]; problem?: string}
  /** With --pid: the server's processes that hold TCP sockets, and its listeners. */
  server?: ServerProcesses
}

export interface ReadOptions {
  pid?: number
  unit?: string
  /** Read interface addresses (needed for the client and loopback roles). */
  addresses?: boolean
}

/** Gather everything doctor reads, from the live host or a saved tree. Never throws on a missing file. */
export async function readHost(root: HostRoot, options: ReadOptions = {}): Promise<HostSnapshot> {
  const sysctl: Record<string, string> = {}
  const sysctlMissing: Record<string, string> = {}
  for (const key of SYSCTL_KEYS) {
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
    limitsConf: readLimitsConf(root),
    systemd: readSystemd(root, options.unit),
    memory: readMemory(root),
    sysctlFiles,
    sysctlKeyExists,
    kernelLog: readKernelLog(root),
    addresses,
    server,
  }
}

// The records host readers fill and the pure core reads: the core defines their shape,
// src/host fills them. Nothing here reads the host.

export interface NofileLimit {
  soft: number | 'unlimited'
  hard: number | 'unlimited'
}

export interface ProcessInfo {
  pid: number | 'self'
  name?: string
  uid?: number
  nofile?: NofileLimit
  /** Effective capability mask, as a hex string from /proc/PID/status. */
  capEff?: string
  /** Why a field is missing. */
  problems: string[]
}

export interface LimitsEntry {
  file: string
  line: number
  domain: string
  type: 'soft' | 'hard' | '-'
  item: string
  value: string
}

export interface SlabCache {
  active: number
  total: number
  objsize: number
  objperslab: number
  pagesperslab: number
}

export interface MemoryInfo {
  meminfo?: Record<string, number>
  slab?: Record<string, SlabCache>
  sockstat?: Record<string, Record<string, number>>
  problems: string[]
}

export interface SysctlFileEntry {
  file: string
  line: number
  key: string
  value: string
}

export interface KernelLogLine {
  /** Seconds since boot. */
  uptime: number
  message: string
}

export interface KernelLog {
  readable: boolean
  reason?: string
  lines: KernelLogLine[]
  /** Seconds since the epoch at boot, to turn uptimes into dates. */
  bootTime?: number
}

export interface LocalAddress {
  iface: string
  address: string
  family: 'IPv4' | 'IPv6'
  prefix: number
  internal: boolean
}

/** A process of the audited server (the --pid process or a descendant) and the TCP sockets it holds. */
export interface ServerProcess {
  pid: number
  comm: string
  nofileSoft: number | 'unlimited'
  nofileHard: number | 'unlimited'
  /** Descriptors open now (entries of /proc/PID/fd). */
  openFds: number
  /** TCP sockets among them: listening plus connections. */
  sockets: number
  listening: number
  /** TCP sockets that are not listening: established, or on their way in or out. */
  connections: number
}

export interface ServerProcesses {
  /** The PID given with --pid. */
  pid: number
  /** Processes of the tree that hold TCP sockets (the --pid process alone when none does). */
  processes: ServerProcess[]
  /** Listening sockets of the tree, once each (workers share the master's), with the backlog each got. */
  listeners: Listener[]
  /** The process whose limits doctor audits: the lowest nofile soft limit, which breaks first. */
  audited: number
  problems: string[]
}

export interface SystemdInfo {
  /** systemd is PID 1 (it creates /run/systemd/system at boot). */
  running: boolean
  /** DefaultLimitNOFILE from system.conf and system.conf.d, and the file that set it last. */
  defaultLimitNOFILE?: {value: string; file: string}
  unit?: {name: string; limitNOFILE?: string; source?: string; problem?: string}
}

/** Entries in each neighbour table now (ARP for IPv4, NDISC for IPv6). */
export interface NeighbourEntries {
  ipv4?: number
  ipv6?: number
  problems: string[]
}

/**
 * Tracked connections per family, from /proc/net/nf_conntrack; one table holds both, so
 * nf_conntrack_count is their sum. `problem` says why it was not split.
 */
export type ConntrackFamilies = {ipv4: number; ipv6: number; problem?: undefined} | {problem: string; ipv4?: undefined; ipv6?: undefined}

export interface HostSnapshot {
  root: string
  live: boolean
  /** Values of SYSCTL_KEYS that could be read, whitespace-normalised. */
  sysctl: Record<string, string>
  /** Why a key of SYSCTL_KEYS could not be read. */
  sysctlMissing: Record<string, string>
  process: ProcessInfo
  /** limits.conf and limits.d; `user` (doctor --user) is the user whose lines are checked instead of `*`. */
  limitsConf: {entries: LimitsEntry[]; files: string[]; problems: string[]; user?: string}
  systemd: SystemdInfo
  memory: MemoryInfo
  sysctlFiles: {entries: SysctlFileEntry[]; files: string[]}
  /** For each key named in a sysctl file: does this kernel have it? */
  sysctlKeyExists: Record<string, boolean>
  kernelLog: KernelLog
  addresses?: {addresses: LocalAddress[]; problem?: string}
  /** Entries in the ARP and NDISC neighbour tables now. */
  neighbours?: NeighbourEntries
  /** nf_conntrack's entries split by family, when it is loaded and holds few enough to read. */
  conntrackFamilies?: ConntrackFamilies
  /** With --pid: the server's processes that hold TCP sockets, and its listeners. */
  server?: ServerProcesses
}

export interface Listener {
  local: string
  /** The accept queue length the socket got: min(listen() backlog, somaxconn). */
  backlog?: number
  inode: number
}

// What N connections need from the kernel, derived from N and the role. One model,
// used by doctor (what to check against), apply --profile million (what to set) and
// estimate (what to report). Each formula is stated beside its number.

export type Role = 'server' | 'client' | 'loopback'
export const ROLES: Role[] = ['server', 'client', 'loopback']

/** The IP family of the connections: 4 unless --family 6. */
export type Family = 4 | 6
export const FAMILIES: Family[] = [4, 6]

export interface Target {
  conns: number
  role: Role
  /** IPv4 (default) or IPv6: which sysctls, neighbour table and socket slab cache the checks read. */
  family?: Family
}

/** File descriptors a process needs besides its sockets: stdio, logs, epoll, listeners. */
export const FD_RESERVE = 1024
/** Kernel default of fs.nr_open; never ask for less. */
export const NR_OPEN_DEFAULT = 1_048_576
/** Largest value somaxconn and the listen() backlog hold usefully (the field was 16 bits before 4.1). */
export const BACKLOG_MAX = 65_535
/**
 * net.ipv6.neigh.default.gc_thresh1/2/3 that `apply --profile million --family 6` sets and estimate
 * lists: no collection below 1024 peers on a link, the table full at 4096 (kernel: 128/512/1024).
 * c1m's own values; no document c1m cites tunes the neighbour table.
 */
export const IPV6_NEIGH_THRESH = [1024, 2048, 4096] as const

/** Ports in the widest usable range, 1024-65535. */
export const PORTS_MAX = 64_512

/** Sockets on this host per connection: loopback holds both ends. */
export function socketsPerConnection(role: Role): number {
  return role === 'loopback' ? 2 : 1
}

function nextPow2(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)))
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n))
}

function roundUp(n: number, step: number): number {
  return Math.ceil(n / step) * step
}

export interface Needs {
  /** Sockets on this host: N x sockets per connection. */
  sockets: number
  /** fs.file-max: every socket plus 5% (at least 65536) for the rest of the system. */
  fileMax: number
  /** Descriptors the busiest single process holds if it takes its whole side: N + FD_RESERVE. */
  perProcessFds: number
  /** fs.nr_open: at least the per-process need, never below the kernel default. */
  nrOpen: number
  /** RLIMIT_NOFILE soft and hard for that process. */
  nofile: number
  /** net.core.somaxconn: a reconnect storm of N/64 pending connects, as a power of two in 4096-65535. */
  somaxconn: number
  /** net.ipv4.tcp_max_syn_backlog: the same as somaxconn. */
  synBacklog: number
  /** net.core.netdev_max_backlog: N/100 packets, a power of two in 1000-65536. */
  netdevBacklog: number
  /** net.ipv4.tcp_max_tw_buckets: every connection may sit in TIME_WAIT after a mass close. */
  twBuckets: number
  /**
   * net.netfilter.nf_conntrack_max: one entry per connection (both ends of a loopback connection
   * share one) plus 10%.
   */
  conntrackMax: number
  /** net.netfilter.nf_conntrack_buckets: a quarter of the entries at least, so chains average 4 or fewer. */
  conntrackBuckets: number
}

export function computeNeeds({conns, role}: Target): Needs {
  const sockets = conns * socketsPerConnection(role)
  const perProcessFds = conns + FD_RESERVE
  const somaxconn = Math.min(BACKLOG_MAX, clamp(nextPow2(Math.ceil(conns / 64)), 4096, 65_536))
  const conntrackMax = roundUp(conns * 1.1, 1024)
  return {
    sockets,
    fileMax: roundUp(sockets + Math.max(65_536, sockets * 0.05), 1024),
    perProcessFds,
    nrOpen: Math.max(NR_OPEN_DEFAULT, roundUp(perProcessFds, 1024)),
    nofile: perProcessFds,
    somaxconn,
    synBacklog: somaxconn,
    netdevBacklog: clamp(nextPow2(Math.ceil(conns / 100)), 1000, 65_536),
    twBuckets: conns,
    conntrackMax,
    conntrackBuckets: nextPow2(conntrackMax / 4),
  }
}

/** Ports one (source IP, destination IP, destination port) tuple can use. */
export function portsPerTuple(range: [number, number], reserved = 0): number {
  return Math.max(0, range[1] - range[0] + 1 - reserved)
}

/** Source addresses a client needs for N connections to `destinations` distinct (IP, port) pairs. */
export function sourceAddressesNeeded(conns: number, ports: number, destinations = 1): number {
  if (ports <= 0) return Number.POSITIVE_INFINITY
  return Math.ceil(conns / (ports * destinations))
}

/** Processes the connections must be sharded over when one process may hold only `hardNofile` descriptors. */
export function processesNeeded(conns: number, hardNofile: number): number {
  return Math.ceil(conns / usableFds(hardNofile))
}

/** Sockets a process can hold under a nofile limit: the limit less a reserve (1/16 of it when small). */
export function usableFds(limit: number): number {
  return Math.max(1, limit - Math.min(FD_RESERVE, Math.floor(limit / 16)))
}

/**
 * net.ipv4.tcp_mem (pages: low, pressure, max) for `bufferBytes` of socket buffers in use:
 * low at the pages in use, pressure 25% above, max 50% above, so the steady state never
 * enters pressure. Zero pages (idle connections) needs nothing beyond the kernel default.
 */
export function tcpMemNeeded(bufferBytes: number, pageSize = 4096): [number, number, number] {
  const pages = Math.ceil(bufferBytes / pageSize)
  return [pages, Math.ceil(pages * 1.25), Math.ceil(pages * 1.5)]
}

/** Bytes in a page, the unit of net.ipv4.tcp_mem (4 KiB on x86-64 and most arm64 kernels). */
export const PAGE_SIZE = 4096

/**
 * net.ipv4.tcp_mem [min, pressure, max] in pages, sized from RAM. The kernel's own default
 * takes limit = free buffer pages / 16 and sets [3/4 limit, limit, 3/2 limit]. c1m keeps those
 * ratios and doubles the share: limit = RAM pages / 8, so TCP buffers enter pressure at 1/8 of
 * RAM and stop growing at 3/16 of RAM. A million mostly idle sockets hold little buffer memory;
 * the headroom is for bursts, and the rest of RAM stays for the socket structures themselves.
 *   tcp_mem = [3/32, 1/8, 3/16] x RAM / PAGE_SIZE
 */
export function tcpMemPages(memTotalBytes: number): [number, number, number] {
  const limit = Math.floor(memTotalBytes / PAGE_SIZE / 8)
  const min = Math.floor((limit / 4) * 3)
  return [min, limit, Math.floor((limit / 2) * 3)]
}

/** The role whose needs hold this many sockets per connection on one host: both ends, or one. */
export function roleForSockets(socketsPerConn: number): Role {
  return socketsPerConn >= 2 ? 'loopback' : 'client'
}

/**
 * The `c1m apply` command that raises fs.file-max to at least `handles`, from the same model apply's
 * million profile plans with: fileMax above, for --conns and --role. The profile sizes fs.file-max for N
 * connections of a role, so the command names both; when the other files open on the host outgrow the
 * model's 5% reserve, N grows until its fileMax covers them too.
 */
export function fileMaxRemedy(target: Target, handles: number): {command: string; fileMax: number} {
  const perConn = socketsPerConnection(target.role)
  const conns = computeNeeds(target).fileMax >= handles ? target.conns : Math.max(target.conns, Math.ceil(handles / perConn))
  return {command: `c1m apply --profile million --conns ${conns} --role ${target.role}`, fileMax: computeNeeds({conns, role: target.role}).fileMax}
}

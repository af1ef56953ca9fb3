import {computeNeeds, type Family, PORTS_MAX, type Role, socketsPerConnection, sourceAddressesNeeded, tcpMemPages} from '../needs.js'

export interface ComputeTarget {
  conns: number
  role: Role
  /** IPv4 (default) or IPv6: values of the other family are left out. */
  family?: Family
  /** MemTotal in bytes; formulas sized from RAM need it. */
  memTotal?: number
}

/**
 * net.ipv4.tcp_mem [min, pressure, max] in pages for N connections: the share of RAM of
 * tcpMemPages, or, when its max is below one page for every socket (doctor's tcpmem.limit
 * rule), max = one page a socket with the same 1/2 and 3/4 below it. The one value apply's
 * `compute: tcpMem` writes and doctor's fix names.
 */
export function tcpMemWanted(memTotal: number, conns: number, role: Role): [number, number, number] {
  const fromRam = tcpMemPages(memTotal)
  const pages = conns * socketsPerConnection(role)
  if (fromRam[2] >= pages) return fromRam
  return [Math.round(pages / 2), Math.round((pages * 3) / 4), pages]
}

type Formula = (t: ComputeTarget) => string

const need = (field: keyof ReturnType<typeof computeNeeds>): Formula => (t) => String(computeNeeds(t)[field])

/**
 * The formulas a profile may name with `compute:`. Each one is the c1m model
 * (src/core/needs.ts), the same numbers doctor checks against and estimate reports.
 */
export const COMPUTE: Record<string, Formula> = {
  fileMax: need('fileMax'),
  nrOpen: need('nrOpen'),
  nofile: need('nofile'),
  somaxconn: need('somaxconn'),
  synBacklog: need('synBacklog'),
  netdevBacklog: need('netdevBacklog'),
  twBuckets: need('twBuckets'),
  conntrackMax: need('conntrackMax'),
  conntrackBuckets: need('conntrackBuckets'),
  tcpMem(t) {
    if (!t.memTotal) throw new Error('tcpMem needs the host RAM (MemTotal from /proc/meminfo)')
    return tcpMemWanted(t.memTotal, t.conns, t.role).join(' ')
  },
  sourceAddresses: (t) => String(sourceAddressesNeeded(t.conns, PORTS_MAX)),
}

export const COMPUTE_NAMES = Object.keys(COMPUTE)

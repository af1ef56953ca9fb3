import {computeNeeds, PORTS_MAX, type Role, sourceAddressesNeeded, tcpMemPages} from '../needs.js'

export interface ComputeTarget {
  conns: number
  role: Role
  /** MemTotal in bytes; formulas sized from RAM need it. */
  memTotal?: number
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
    return tcpMemPages(t.memTotal).join(' ')
  },
  sourceAddresses: (t) => String(sourceAddressesNeeded(t.conns, PORTS_MAX)),
}

export const COMPUTE_NAMES = Object.keys(COMPUTE)

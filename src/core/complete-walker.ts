import type {ProbeReport} from './probe-report.js'

/** What this host's kernel model says one walked descriptor costs. */
export interface WalkerCost {
  /** proc_inode_cache bytes per descriptor (slab footprint). */
  procInodeBytes: number
  /** Everything the walk creates per descriptor: proc inode, dentry, LSM blob, their memcg vectors. */
  bytesPerSocket: number
}

export interface WalkerCompletion {
  /** Share of the run's sockets the /proc walker had visited when the samples were taken, 0..1. */
  coverage: number
  /** Kernel bytes per connection added for the sockets it had not visited yet. */
  addedBytesPerConn: number
  note: string
}

/** Below this coverage no walker is taken to run on the host; above the upper bound it had caught up. */
export const WALKER_SEEN = 0.05
export const WALKER_CAUGHT_UP = 0.97

/**
 * A process scanner on the host (monitoring agents walk /proc/PID/fd) creates a proc inode, a
 * dentry and an LSM blob per open descriptor, on its own schedule. A short probe samples each
 * step before the scanner has visited every new socket, so its kernel figure misses part of
 * that cost, and the shorter the steps the more: the per-connection cost seems to rise with N.
 * The run's proc_inode_cache growth per socket says how far the scanner had got; a held
 * connection is visited in the end, so the rest is added. Undefined when the run saw no
 * scanner or the scanner had caught up. Pure.
 */
export function completeWalker(report: Pick<ProbeReport, 'fit' | 'socketsPerConn'>, cost: WalkerCost): WalkerCompletion | undefined {
  const grown = report.fit.slabPerConn?.proc_inode_cache
  if (grown === undefined || !(cost.procInodeBytes > 0) || !(cost.bytesPerSocket > 0)) return undefined
  const coverage = Math.min(1, Math.max(0, grown / (report.socketsPerConn * cost.procInodeBytes)))
  if (coverage < WALKER_SEEN || coverage >= WALKER_CAUGHT_UP) return undefined
  const added = Math.round((1 - coverage) * cost.bytesPerSocket * report.socketsPerConn)
  return {
    coverage,
    addedBytesPerConn: added,
    note: `a /proc walker had visited ${Math.round(coverage * 100)}% of the sockets when sampled; ${added} B per connection added for the rest`,
  }
}

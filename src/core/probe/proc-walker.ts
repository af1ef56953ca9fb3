import {WALKER_SEEN} from '../estimate/complete-short-run.js'
import type {ProbeReport} from './fit-report.js'

// Something on many hosts walks /proc/PID/fd (monitoring agents do): each socket it visits gets a
// proc inode and a dentry, about 1.6 KB per loopback connection here. Whether it came by during a
// probe swings a calibration by some 18%, so the report says whether it did.

export interface ProcWalkerReading {
  /** proc_inode_cache growth per connection over the ramp (0 when it did not grow). */
  procInodeBytesPerConn: number
  /** Share of the sockets the walker had given a proc inode when sampled, 0..1. */
  coverage: number
  /** Whether a walker visited during the run (coverage at least WALKER_SEEN). */
  visited: boolean
}

/**
 * Whether a /proc walker visited the run's sockets, from the proc_inode_cache growth the fit
 * measured against one proc inode per socket (`procInodeBytes`, this kernel's object with its slab
 * packing). Pure.
 */
export function readProcWalker(report: Pick<ProbeReport, 'fit' | 'socketsPerConn'>, procInodeBytes: number): ProcWalkerReading {
  const grown = Math.max(0, report.fit.slabPerConn?.proc_inode_cache ?? 0)
  const coverage = procInodeBytes > 0 ? Math.min(1, grown / (report.socketsPerConn * procInodeBytes)) : 0
  return {procInodeBytesPerConn: grown, coverage: Number(coverage.toFixed(3)), visited: coverage >= WALKER_SEEN}
}

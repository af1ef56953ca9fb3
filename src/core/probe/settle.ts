// When a step of the ramp has settled: the servers hold every connection the clients counted, and
// the kernel's slab stopped growing between two readings. A sample taken before that would put
// part of this step's memory on the next one and bend the fit.

const MIB = 1024 ** 2

/** Two readings of the counters that matter, taken a moment apart. */
export interface SettleReading {
  /** Connections the bundled servers hold (their "count" open). */
  serversOpen: number
  /** Slab bytes (/proc/meminfo Slab). */
  slab: number
}

/** How settling ended: on the counters, at the --settle bound, or (someone else's server) a sleep. */
export type SettledOn = 'counters' | 'bound' | 'sleep'

/**
 * The slab movement between two readings still called "stopped": 1 MiB (the kernel folds its per-CPU
 * slab counters into /proc/meminfo in batches about that size), or a thousandth of what the step
 * grew the slab by, whichever is larger: at 10 KiB per connection that is 10 bytes of each.
 */
export function slabTolerance(stepGrowth: number): number {
  return Math.max(MIB, Math.abs(stepGrowth) / 1000)
}

/** Whether the step has settled: every counted connection accepted, nothing moving between the readings. */
export function hasSettled(previous: SettleReading | undefined, current: SettleReading, established: number, tolerance: number): boolean {
  if (!previous || current.serversOpen < established) return false
  return previous.serversOpen === current.serversOpen && Math.abs(current.slab - previous.slab) <= tolerance
}

import type {ProbeReport} from '../probe/fit-report.js'

/**
 * Bytes per socket each slab cache must grow by at least, from this host's kernel model: one
 * object of each of the socket's own caches, and when a /proc walker runs, one proc inode, dentry
 * and LSM blob more (model-socket-kernel.ts floorsOf).
 */
export interface CacheFloors {
  socket: Record<string, number>
  walker: Record<string, number>
}

export interface ShortRunCompletion {
  /** Share of the sockets a /proc walker had visited when sampled, 0..1; null when no walker showed. */
  walkerCoverage: number | null
  /** Kernel bytes per connection added, in all and per cache. */
  addedBytesPerConn: number
  added: Record<string, number>
  note: string
}

/** A walker that created less than this share of a proc inode per socket is not taken to run. */
export const WALKER_SEEN = 0.05
/** A shortfall below this share of a cache's floor is the fit's noise, not a missing object. */
export const NOISE = 0.02

/**
 * A short probe measures less than a socket costs once connections are held for long: its few
 * thousand allocations land partly in free objects that earlier work left in partly used slabs
 * (so the slab does not grow), and a host's /proc walker (monitoring agents read /proc/PID/fd)
 * has not yet visited every new socket when a step is sampled. Both fade as N grows, which is why
 * the per-connection cost seemed to rise from 20k to 1M. A cache cannot really grow by less than
 * one object per socket, so each cache the run's slabinfo names is raised to that floor.
 * Undefined when nothing is below its floor. Pure.
 */
export function completeShortRun(report: Pick<ProbeReport, 'fit' | 'socketsPerConn' | 'samples'>, floors: CacheFloors): ShortRunCompletion | undefined {
  const grown = report.fit.slabPerConn ?? {}
  const named = report.samples[0]?.slab ?? {}
  const spc = report.socketsPerConn
  const procInode = floors.walker.proc_inode_cache
  const coverage = procInode > 0 ? Math.min(1, (grown.proc_inode_cache ?? 0) / (spc * procInode)) : 0
  const walker = coverage >= WALKER_SEEN
  const added: Record<string, number> = {}
  for (const name of new Set([...Object.keys(floors.socket), ...(walker ? Object.keys(floors.walker) : [])])) {
    if (named[name] === undefined) continue // merged into another cache on this kernel: its growth shows under that name
    const floor = spc * ((floors.socket[name] ?? 0) + (walker ? (floors.walker[name] ?? 0) : 0))
    const short = floor - (grown[name] ?? 0)
    if (short >= Math.max(1, NOISE * floor)) added[name] = Math.round(short)
  }
  const total = Object.values(added).reduce((a, b) => a + b, 0)
  if (total === 0) return undefined
  const seen = walker ? `a /proc walker had visited ${Math.round(coverage * 100)}% of the sockets when sampled; ` : ''
  return {
    walkerCoverage: walker ? coverage : null,
    addedBytesPerConn: total,
    added,
    note: `${seen}${total} B per connection added where caches grew by less than one object per socket (${Object.entries(added).map(([k, v]) => `${k} ${v}`).join(', ')})`,
  }
}

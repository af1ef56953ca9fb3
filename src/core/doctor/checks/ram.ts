import {formatBytes, formatCount} from '../../units.js'
import {type Check, type CheckContext, Skip} from '../check.js'
import {memoryInputForHost} from '../../estimate/memory-input.js'
import {connectionsThatFit, DEFAULT_PROCESS_BYTES, estimateMemory, type MemoryEstimate} from '../../estimate/memory-model.js'
import {modelSocketKernel} from '../../estimate/model-socket-kernel.js'

/** The RAM N idle connections need on this host: the same model `c1m estimate` uses. */
export function ramNeed(ctx: CheckContext): {estimate: MemoryEstimate; costSource: string; bytesPerSocket: number} {
  const mem = ctx.host.memory.meminfo
  if (!mem?.MemTotal || mem.MemAvailable === undefined) throw new Skip('/proc/meminfo was not read')
  const cost = modelSocketKernel(ctx.host.memory.slab, ctx.host.sysctl['kernel.osrelease'], ctx.target.family ?? 4)
  // The same input `c1m estimate` builds with its defaults (no probe report, idle, libevent-sized process).
  const estimate = estimateMemory(memoryInputForHost(ctx.host, ctx.target, {processBytesPerConn: DEFAULT_PROCESS_BYTES}))
  const from = cost.source === 'slabinfo' ? "this host's /proc/slabinfo" : 'defaults measured on Linux 6.18 (slabinfo not readable)'
  const socket = cost.family === 6 ? 'an IPv6 socket (TCPv6 slab objects)' : 'an IPv4 socket (TCP slab objects)'
  const costSource = `${from} for ${socket}, a /proc walker and memcg vectors assumed (range ${formatCount(cost.low)} to ${formatCount(cost.high)} B)`
  return {estimate, costSource, bytesPerSocket: cost.bytesPerSocket}
}

export const ramChecks: Check[] = [
  {
    id: 'ram.connections',
    area: 'ram',
    title: 'RAM for N idle connections',
    reads: ['/proc/meminfo', '/proc/slabinfo', '/proc/sys/vm/min_free_kbytes'],
    why: 'each socket costs kernel slab memory (socket: TCP, or TCPv6 with --family 6; inode, dentry, file, epoll entry) plus the server process\'s own state; run out and the OOM killer picks a process',
    evaluate(ctx) {
      const {estimate, costSource, bytesPerSocket} = ramNeed(ctx)
      const total = ctx.host.memory.meminfo!.MemTotal
      const status = estimate.total <= total ? 'pass' : 'fail'
      return {
        status,
        current: `${formatBytes(total)} RAM, ${formatBytes(ctx.host.memory.meminfo!.MemAvailable)} available`,
        needed: `${formatBytes(estimate.total)} (${formatBytes(estimate.perConn)} per connection: ${formatCount(bytesPerSocket)} B kernel per socket from ${costSource}, ${formatCount(DEFAULT_PROCESS_BYTES)} B process)`,
        breaksAt: connectionsThatFit(estimate, total),
        reason: 'MemAvailable counts socket dentries and inodes (SReclaimable) as free, so it over-states free memory on socket-heavy hosts; the need includes what is in use now',
        fix: status === 'pass' ? undefined : `c1m estimate --conns ${ctx.target.conns} --role ${ctx.target.role}   # add RAM, or spread over ${Math.ceil(estimate.total / total)} hosts`,
      }
    },
  },
]

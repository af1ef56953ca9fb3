import type {ProbeSample} from '../core/probe/fit-report.js'
import {slabFootprint} from '../core/estimate/socket-cost.js'
import {readMemory, readSockstat} from '../host/read/memory.js'
import {readProcessMemory, readProcessRss} from '../host/read/process-memory.js'
import type {HostRoot} from '../host/files/root.js'

function sumMemory(root: HostRoot, pids: number[]): {rss: number; pss?: number} {
  let rss = 0
  let pss: number | undefined = 0
  for (const pid of pids) {
    const memory = readProcessMemory(root, pid)
    rss += memory?.rss ?? 0
    pss = memory?.pss === undefined || pss === undefined ? undefined : pss + memory.pss
  }
  return pss === undefined ? {rss} : {rss, pss}
}

/**
 * RSS only (VmRSS of /proc/PID/status), summed, with each tree's when there are several: what the
 * hold reads every second. Not smaps_rollup: walking a large process's page tables every second
 * holds its memory map lock, and a server stalled on it answers late.
 */
export function sampleServersRss(root: HostRoot, serverTrees: number[][]): {rss: number; trees?: number[]} {
  const trees = serverTrees.map((pids) => pids.reduce((sum, pid) => sum + (readProcessRss(root, pid) ?? 0), 0))
  const rss = trees.reduce((a, b) => a + b, 0)
  return trees.length > 1 ? {rss, trees} : {rss}
}

/** The servers' memory summed, with each tree's RSS when there are several (several --server-pid). */
export function sampleServers(root: HostRoot, serverTrees: number[][]): ProbeSample['server'] {
  if (serverTrees.length === 1) return sumMemory(root, serverTrees[0])
  const trees = serverTrees.map((pids) => sumMemory(root, pids))
  const rss = trees.reduce((sum, t) => sum + t.rss, 0)
  const pss = trees.every((t) => t.pss !== undefined) ? trees.reduce((sum, t) => sum + t.pss!, 0) : undefined
  return {rss, ...(pss === undefined ? {} : {pss}), trees: trees.map((t) => t.rss)}
}

/**
 * One point of the ramp: host memory, slab caches, sockstat, and the probe processes' memory.
 * sockstatPid: read /proc/PID/net/sockstat, the view of that process's network namespace.
 */
export function sampleMemory(root: HostRoot, conns: number, established: number, serverTrees: number[][], clientPids: number[], sockstatPid?: number): ProbeSample {
  const memory = readMemory(root)
  const sample: ProbeSample = {
    conns,
    established,
    meminfo: memory.meminfo ?? {},
    server: sampleServers(root, serverTrees),
    client: sumMemory(root, clientPids),
  }
  if (memory.slab) {
    sample.slab = Object.fromEntries(Object.entries(memory.slab).map(([name, cache]) => [name, Math.round(cache.total * slabFootprint(cache))]))
  }
  const inNamespace = sockstatPid === undefined ? undefined : readSockstat(root, sockstatPid)
  if (inNamespace) sample.sockstat = inNamespace
  else if (memory.sockstat) sample.sockstat = memory.sockstat
  return sample
}

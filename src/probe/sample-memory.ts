import type {ProbeSample} from '../core/probe/fit-report.js'
import {slabFootprint} from '../core/estimate/socket-cost.js'
import {readMemory, readSockstat} from '../host/read/memory.js'
import {readProcessMemory} from '../host/read/process-memory.js'
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
 * One point of the ramp: host memory, slab caches, sockstat, and the probe processes' memory.
 * sockstatPid: read /proc/PID/net/sockstat, the view of that process's network namespace.
 */
export function sampleMemory(root: HostRoot, conns: number, established: number, serverPids: number[], clientPids: number[], sockstatPid?: number): ProbeSample {
  const memory = readMemory(root)
  const sample: ProbeSample = {
    conns,
    established,
    meminfo: memory.meminfo ?? {},
    server: sumMemory(root, serverPids),
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

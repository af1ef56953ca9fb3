import os from 'node:os'
import type {ProbeHostReading} from '../core/probe/assemble-report.js'
import {floorsOf, modelSocketKernel} from '../core/estimate/model-socket-kernel.js'
import {readMemory} from '../host/read/memory.js'
import type {HostRoot} from '../host/files/root.js'
import {readSysctl} from '../host/read/sysctl.js'

/** What the probe's report needs of the host: its name, kernel, memory, CPUs, and a proc inode's size. */
export function readProbeHost(root: HostRoot): ProbeHostReading {
  const memory = readMemory(root)
  const meminfo = memory.meminfo ?? {}
  const osrelease = readSysctl(root, 'kernel.osrelease')
  const walkerFloor = floorsOf(modelSocketKernel(memory.slab, osrelease.ok ? osrelease.text : undefined)).walker.proc_inode_cache ?? 0
  return {
    host: {hostname: os.hostname(), kernel: osrelease.ok ? osrelease.text : os.release(), memTotalBytes: meminfo.MemTotal ?? os.totalmem(), cpus: os.cpus().length},
    walkerFloor,
  }
}

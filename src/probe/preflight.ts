import {checkProbeFits} from '../core/probe/preflight.js'
import {socketCost} from '../core/estimate/socket-cost.js'
import {C1mError} from '../core/errors.js'
import {readMemory} from '../host/read/memory.js'
import type {HostRoot} from '../host/files/root.js'
import {readSysctl} from '../host/read/sysctl.js'
import type {Engine} from '../core/probe/run-report.js'

/** Refuse, before any process starts, a probe that the host's file handles or memory cannot hold. */
export function preflightProbe(root: HostRoot, input: {conns: number; engine: Engine; processes: number; socketsPerConn: number}): void {
  const fileMax = readSysctl(root, 'fs.file-max')
  const fileNr = readSysctl(root, 'fs.file-nr')
  const memory = readMemory(root)
  const problems = checkProbeFits({
    ...input,
    fileMax: fileMax.ok ? Number(fileMax.text) : Number.POSITIVE_INFINITY,
    filesInUse: fileNr.ok ? Number(fileNr.text.split(' ')[0]) : 0,
    memAvailableBytes: memory.meminfo?.MemAvailable ?? Number.POSITIVE_INFINITY,
    bytesPerSocket: socketCost(memory.slab).bytesPerSocket,
  })
  if (problems.length > 0) throw new C1mError('E_PREFLIGHT', problems[0].message, problems[0].suggestion)
}

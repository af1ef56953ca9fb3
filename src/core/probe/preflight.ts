import {fileMaxRemedy, roleForSockets} from '../needs.js'

/**
 * Process memory assumed before a probe runs, only to refuse runs that cannot fit.
 * node: about 4 KB per connection (004_6d33c152c498d219.txt: 150k connections, ~600 MB of
 * node RSS) on a ~48 MiB runtime. native: the fd-indexed state arrays, a few bytes per
 * descriptor, on a process of about 1 MiB.
 */
export const PROBE_PROCESS_COST = {
  native: {baseBytes: 1024 ** 2, bytesPerConn: 64},
  node: {baseBytes: 48 * 1024 ** 2, bytesPerConn: 4096},
} as const

/** Share of MemAvailable a probe may plan to use. */
export const PROBE_MEMORY_SHARE = 0.8

export interface PreflightInput {
  conns: number
  socketsPerConn: number
  /** Server and client processes together. */
  processes: number
  engine: keyof typeof PROBE_PROCESS_COST
  /** fs.file-max and the files allocated now (first field of fs.file-nr). */
  fileMax: number
  filesInUse: number
  memAvailableBytes: number
  bytesPerSocket: number
}

export interface PreflightProblem {
  message: string
  suggestion: string
}

/** The memory a probe of this size is expected to take, kernel and processes. */
export function probeMemoryNeed(input: PreflightInput): number {
  const cost = PROBE_PROCESS_COST[input.engine]
  const sockets = input.conns * input.socketsPerConn
  return sockets * input.bytesPerSocket + sockets * cost.bytesPerConn + input.processes * cost.baseBytes
}

/** What stops a probe before it starts: system-wide file handles and memory. */
export function checkProbeFits(input: PreflightInput): PreflightProblem[] {
  const problems: PreflightProblem[] = []
  const sockets = input.conns * input.socketsPerConn
  const filesFree = input.fileMax - input.filesInUse
  if (sockets + input.processes * 16 > filesFree) {
    // The remedy is the apply command whose plan raises fs.file-max to hold these and what is open now.
    const remedy = fileMaxRemedy({conns: input.conns, role: roleForSockets(input.socketsPerConn)}, sockets + input.processes * 16 + input.filesInUse)
    problems.push({
      message: `${input.conns} connections need ${sockets} file handles here, but fs.file-max leaves ${Math.max(0, filesFree)} free`,
      suggestion: `raise fs.file-max to ${remedy.fileMax} (${remedy.command}) or ask for at most ${Math.max(0, Math.floor((filesFree - input.processes * 16) / input.socketsPerConn))} connections`,
    })
  }
  const need = probeMemoryNeed(input)
  const allowed = input.memAvailableBytes * PROBE_MEMORY_SHARE
  if (need > allowed) {
    const perConn = need / input.conns
    problems.push({
      message: `${input.conns} connections need about ${Math.round(need / 1024 ** 2)} MiB, more than ${Math.round(PROBE_MEMORY_SHARE * 100)}% of the ${Math.round(input.memAvailableBytes / 1024 ** 2)} MiB available`,
      suggestion: `ask for at most ${Math.floor(allowed / perConn)} connections, or free memory`,
    })
  }
  return problems
}

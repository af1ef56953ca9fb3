import {fitLine} from './fit-line.js'
import {fitProblems} from './fit-quality.js'
import {PROBE_SCHEMA, type ProbeReport, type ProbeSample} from './fit-report.js'
import {PAGE_SIZE, SOCKET_CACHES} from '../estimate/socket-cost.js'

/**
 * Kernel memory that connections grow: every slab cache (socket structures, inodes,
 * dentries, files, epoll entries) plus the pages /proc/net/sockstat counts as TCP buffers.
 */
export function kernelBytes(sample: ProbeSample): number {
  const slab = sample.meminfo.Slab ?? 0
  const tcpPages = sample.sockstat?.TCP?.mem ?? 0
  return slab + tcpPages * PAGE_SIZE
}

/** Slab caches reported per connection: those that grew by at least this many bytes per connection. */
export const SLAB_GROWTH_FLOOR = 8

export interface ReportInput {
  engine: ProbeReport['engine']
  socketsPerConn: number
  host: ProbeReport['host']
  samples: ProbeSample[]
  generatedAt?: string
  /** Why the ramp ended early, when it did. */
  stopped?: string
}

/** Fit memory = base + N x per-connection for the kernel, the servers and the clients. */
export function buildProbeReport(input: ReportInput): ProbeReport {
  const {samples} = input
  const kernel = fitLine(samples.map((s) => ({x: s.conns, y: kernelBytes(s)})))
  const server = fitLine(samples.map((s) => ({x: s.conns, y: s.server.rss})))
  const client = fitLine(samples.map((s) => ({x: s.conns, y: s.client.rss})))

  const slabPerConn: Record<string, number> = {}
  const caches = Object.keys(samples[0].slab ?? {}).filter((name) => samples.every((s) => s.slab?.[name] !== undefined))
  for (const name of caches) {
    const fit = fitLine(samples.map((s) => ({x: s.conns, y: s.slab![name]})))
    if (fit.bytesPerConn >= SLAB_GROWTH_FLOOR) slabPerConn[name] = Math.round(fit.bytesPerConn)
  }
  // Keep the samples small: only the caches that grew, those a socket is made of, and the one a
  // /proc walker grows (so whether it came by can be checked against the samples).
  const keep = new Set<string>([...Object.keys(slabPerConn), ...SOCKET_CACHES, 'proc_inode_cache'])
  const trimmed = samples.map((s) => (s.slab ? {...s, slab: Object.fromEntries(Object.entries(s.slab).filter(([name]) => keep.has(name)))} : s))

  const report: ProbeReport = {
    schema: PROBE_SCHEMA,
    generatedAt: input.generatedAt ?? new Date().toISOString(),
    engine: input.engine,
    socketsPerConn: input.socketsPerConn,
    host: input.host,
    samples: trimmed,
    fit: {
      kernel: {...kernel, bytesPerSocket: kernel.bytesPerConn / input.socketsPerConn},
      server,
      client,
      slabPerConn,
    },
    ...(input.stopped ? {stopped: input.stopped} : {}),
  }
  report.fit.problems = fitProblems(report)
  return report
}

import {C1mError} from '../errors.js'

export const PROBE_SCHEMA = 'c1m.probe/1'

/** A straight-line fit y = base + perConn x N over the ramp's samples. */
export interface LinearFit {
  baseBytes: number
  bytesPerConn: number
  /** Coefficient of determination, 0..1. */
  r2: number
}

/** One sample of the ramp, taken after the count settled. */
export interface ProbeSample {
  conns: number
  established: number
  /** /proc/meminfo fields in bytes (MemFree, Slab, SUnreclaim, SReclaimable, ...). */
  meminfo: Record<string, number>
  /** Bytes held by each slab cache that was readable (num_objs x footprint). */
  slab?: Record<string, number>
  sockstat?: Record<string, Record<string, number>>
  server: {rss: number; pss?: number}
  client: {rss: number; pss?: number}
}

/** The part of a probe report that estimate and doctor rely on. The probe may add fields. */
export interface ProbeReport {
  schema: typeof PROBE_SCHEMA
  generatedAt: string
  engine: 'native' | 'node' | 'external'
  /** Sockets on this host per connection during the run (2 when client and server share the host). */
  socketsPerConn: number
  host: {hostname?: string; kernel: string; memTotalBytes: number; cpus: number}
  samples: ProbeSample[]
  fit: {
    /** Kernel memory (MemTotal - MemFree - process RSS, or Slab + buffers) against connections. */
    kernel: LinearFit & {bytesPerSocket: number}
    server: LinearFit
    client: LinearFit
    /** Per-connection growth of each slab cache that grew, in bytes. */
    slabPerConn?: Record<string, number>
    /** Why the fit is not a trustworthy measurement (core/fit-quality.ts); empty when it is. */
    problems?: string[]
  }
  /** Why the ramp ended before the requested count, when it did. */
  stopped?: string
  /**
   * Other c1m probes that ran on this host during this one (their PIDs): the kernel memory they
   * grew is in this run's fit, so it is not a measurement.
   */
  concurrent?: {pids: number[]}
  /** Whether a /proc/PID/fd walker visited the run's sockets (core/probe/proc-walker.ts). */
  procWalker?: {procInodeBytesPerConn: number; coverage: number; visited: boolean}
}

function fail(source: string, what: string): never {
  throw new C1mError('E_BAD_REPORT', `${source} is not a c1m probe report: ${what}`, 'pass a JSON report written by `c1m probe --out FILE`')
}

function isFit(v: unknown): v is LinearFit {
  const f = v as LinearFit
  return typeof f === 'object' && f !== null && Number.isFinite(f.bytesPerConn) && Number.isFinite(f.baseBytes) && Number.isFinite(f.r2)
}

/** Validate parsed JSON as a probe report; the error names what is wrong. */
export function validateProbeReport(value: unknown, source = 'the file'): ProbeReport {
  const r = value as ProbeReport
  if (typeof r !== 'object' || r === null) fail(source, 'not a JSON object')
  if (r.schema !== PROBE_SCHEMA) fail(source, `schema is ${JSON.stringify(r.schema)}, expected "${PROBE_SCHEMA}"`)
  if (!['native', 'node', 'external'].includes(r.engine)) fail(source, 'engine must be native, node or external')
  if (!Number.isInteger(r.socketsPerConn) || r.socketsPerConn < 1) fail(source, 'socketsPerConn must be a positive integer')
  if (!Array.isArray(r.samples) || r.samples.length < 2) fail(source, 'needs at least two samples')
  for (const [i, s] of r.samples.entries()) {
    if (!Number.isFinite(s.conns) || !Number.isFinite(s.established) || typeof s.meminfo !== 'object') fail(source, `sample ${i} lacks conns, established or meminfo`)
  }
  if (!r.fit || !isFit(r.fit.kernel) || !Number.isFinite(r.fit.kernel.bytesPerSocket)) fail(source, 'fit.kernel is missing or not numeric')
  if (!isFit(r.fit.server) || !isFit(r.fit.client)) fail(source, 'fit.server or fit.client is missing or not numeric')
  if (r.concurrent !== undefined && (typeof r.concurrent !== 'object' || r.concurrent === null || !Array.isArray(r.concurrent.pids) || !r.concurrent.pids.every(Number.isSafeInteger))) {
    fail(source, 'concurrent must be {"pids": [integers]}')
  }
  return r
}

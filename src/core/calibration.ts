import type {ProbeReport} from './probe-report.js'

/** Slab caches of the local-port bind entries (named in slabinfo only where the kernel does not merge them). */
export const BIND_CACHES = ['tcp_bind_bucket', 'tcp_bind2_bucket'] as const

export interface Calibration {
  /** Where the figures came from: the report's path. */
  file: string
  engine: ProbeReport['engine']
  generatedAt: string
  /** Connections of the largest sample: the scale the fit was measured at. */
  measuredConns: number
  kernel: {bytesPerConn: number; r2: number}
  /** Kernel bytes per socket, with the bind entries and conntrack entries the run grew taken out. */
  bytesPerSocket: number
  /** Bind entry bytes per connection the run's slab showed grow, or undefined when not visible. */
  bindBytesPerConn?: number
  /** Conntrack entry bytes per connection the run's slab showed grow, or undefined. */
  conntrackBytesPerConn?: number
  serverBytesPerConn: number
  clientBytesPerConn: number
}

/** The per-connection figures of a validated probe report, split into the model's terms. */
export function calibrateFromReport(report: ProbeReport, file: string): Calibration {
  const slab = report.fit.slabPerConn ?? {}
  const bindSeen = BIND_CACHES.some((name) => slab[name] !== undefined)
  const bind = BIND_CACHES.reduce((sum, name) => sum + Math.max(0, slab[name] ?? 0), 0)
  const conntrack = slab.nf_conntrack === undefined ? undefined : Math.max(0, slab.nf_conntrack)
  const kernelPerConn = report.fit.kernel.bytesPerConn
  const bytesPerSocket = (kernelPerConn - bind - (conntrack ?? 0)) / report.socketsPerConn
  return {
    file,
    engine: report.engine,
    generatedAt: report.generatedAt,
    measuredConns: Math.max(...report.samples.map((s) => s.conns)),
    kernel: {bytesPerConn: kernelPerConn, r2: report.fit.kernel.r2},
    bytesPerSocket: Math.round(bytesPerSocket),
    bindBytesPerConn: bindSeen ? Math.round(bind) : undefined,
    conntrackBytesPerConn: conntrack === undefined ? undefined : Math.round(conntrack),
    serverBytesPerConn: Math.max(0, Math.round(report.fit.server.bytesPerConn)),
    clientBytesPerConn: Math.max(0, Math.round(report.fit.client.bytesPerConn)),
  }
}

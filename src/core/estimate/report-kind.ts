import {fitProblems} from '../probe/fit-quality.js'
import {fitLine} from '../probe/fit-line.js'
import type {ProbeReport} from '../probe/fit-report.js'

/** Fewer connections than this, and a saved report is a smoke test, not a calibration. */
export const MIN_CALIBRATION_CONNS = 20_000

/** What an estimate asks: the kind of run whose report may answer it without --calibration. */
export interface CalibrationQuestion {
  /** The engine --runtime implies (native, node), or undefined when any engine's kernel figure will do. */
  engine?: ProbeReport['engine']
  /** The protocol the estimate is about: tcp unless asked. */
  protocol: string
  /** This host's kernel release. */
  kernel?: string
  /** The IP family the estimate is about (4 when absent): an IPv6 socket has its own slab cache, TCPv6. */
  family?: 4 | 6
}

/** What a saved report says about its run, beyond the c1m.probe/1 fields (reports may lack any). */
export interface ReportKind {
  protocol: string
  conns: number
  target: boolean
}

type RunFields = ProbeReport & {protocol?: string; tls?: unknown; target?: unknown; isolation?: {clientHosts?: unknown}; family?: unknown}

/** A protocol over TLS by the name of its scheme: wss, mqtts, tls; others with +tls. */
const OVER_TLS: Record<string, string> = {tcp: 'tls', ws: 'wss', mqtt: 'mqtts'}

/** The protocol, size and whether it measured someone else's server, as a report records them. */
export function reportKind(report: ProbeReport): ReportKind {
  const run = report as RunFields
  const kind = typeof run.protocol === 'string' ? run.protocol : 'tcp'
  return {
    protocol: run.tls ? (OVER_TLS[kind] ?? `${kind}+tls`) : kind,
    conns: Math.max(0, ...report.samples.map((s) => s.conns)),
    target: run.target !== undefined || report.engine === 'external',
  }
}

/**
 * TCP sockets the run opened per connection, from the sockstat "TCP: inuse" of its samples, or
 * undefined when the samples do not say.
 */
export function socketsSeenPerConn(report: ProbeReport): number | undefined {
  const points = report.samples.flatMap((s) => {
    const inuse = s.sockstat?.TCP?.inuse
    return Number.isFinite(inuse) ? [{x: s.conns, y: inuse!}] : []
  })
  if (points.length < 2 || new Set(points.map((p) => p.x)).size < 2) return undefined
  return fitLine(points).bytesPerConn
}

/**
 * Why a saved report may not calibrate this estimate on its own (only `--calibration FILE` may
 * take it), or undefined when it may: it must measure the bundled server (no --target), speak the
 * question's protocol, come from the engine --runtime implies and from this kernel, have a clean
 * fit (which a concurrent probe spoils) from at least MIN_CALIBRATION_CONNS connections, and hold
 * the sockets per connection it says (a proxy in the path holds more). Pure.
 */
export function unsuitableBecause(report: ProbeReport, question: CalibrationQuestion): string | undefined {
  const kind = reportKind(report)
  const problems = fitProblems(report)
  if (problems.length > 0) return problems.join('; ')
  if (kind.target) return 'it measured a --target server, not the bundled one'
  if (kind.protocol !== question.protocol) return `it measured ${kind.protocol}, not ${question.protocol}`
  const family = (report as RunFields).family === 6 ? 6 : 4
  if (family !== (question.family ?? 4)) return `it measured IPv${family} connections, and the estimate is for IPv${question.family ?? 4} (--family)`
  if (question.engine !== undefined && report.engine !== question.engine) return `it measured the ${report.engine} engine, and --runtime asks for ${question.engine}`
  if (question.kernel !== undefined && report.host?.kernel !== question.kernel) return `it was measured on kernel ${report.host?.kernel ?? 'unknown'}, this host runs ${question.kernel}`
  if (kind.conns < MIN_CALIBRATION_CONNS) return `it held ${kind.conns} connections, fewer than the ${MIN_CALIBRATION_CONNS} a calibration needs`
  if ((report as RunFields).isolation?.clientHosts !== undefined) return 'its clients ran on simulated client hosts (--client-hosts)'
  const seen = socketsSeenPerConn(report)
  if (seen !== undefined && Math.abs(seen - report.socketsPerConn) > 0.25 * report.socketsPerConn) {
    return `it opened ${seen.toFixed(1)} TCP sockets per connection where it says ${report.socketsPerConn} (a proxy or several sockets per connection)`
  }
  return undefined
}
